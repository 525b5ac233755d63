// The checker's wasm instance as both threads of `durable-core check` use it, made to survive a
// file it cannot analyse. The lexical scan before parsing (check/src/depth.rs) catches code
// nested too deeply for the parser's recursion, but not every shape: code it misses can still
// overflow the stack (V8's, for the wasm frames, or the Rust stack in linear memory), and an
// instance stopped in the middle of a call may be left inconsistent (a borrowed session, the
// Rust stack pointer lowered, an allocation half done). A file that traps therefore becomes a
// `syntax-error` finding (`addUnanalysable`), the instance is replaced by a fresh one from the
// same compiled module (`__wbg_reset_state`), and the files checked before it are checked
// again in the new instance, so that its records are those a run without the trap would hold.
// Those records are then taken out of the instance (`exportRecords`) and kept here, so that a
// later trap checks again only the files since: each file is checked again at most once,
// however many trap (checking every earlier file at each trap made a project of 300 files and
// 150 that trap take 110 s instead of under 1 s). The kept records go back into the instance,
// in order, before it merges or reports.

/**
 * Whether `error`, thrown by a call into the checker's wasm, means that the call stopped
 * midway: a trap (`WebAssembly.RuntimeError`: out-of-bounds memory when the Rust stack
 * overflows, `unreachable` after an abort or out of memory) or V8's stack overflow (`RangeError`).
 * The checker's own errors are plain `Error`s.
 */
export function isTrap(error) {
  return error instanceof WebAssembly.RuntimeError || error instanceof RangeError;
}

export class RecoveringChecker {
  #bindings;
  #rules;
  #read;
  #config;
  #checker;
  /** The files the instance holds records of, in order: `{ path, analysed }` (null once
   * another checker's records are merged in, which could not be checked again). */
  #files = [];
  /** Records taken out of earlier instances after a trap, in order: `[JSON array, count]`. */
  #kept = [];

  /**
   * `bindings`: the checker's initialised JS bindings; `rules`: the rule settings as JSON;
   * `read(path)`: a checked file's bytes again, should the instance have to be replaced.
   */
  constructor(bindings, rules, read) {
    this.#bindings = bindings;
    this.#rules = rules;
    this.#read = read;
    this.#checker = new bindings.Checker(rules);
  }

  /** Reads the wrangler configuration; returns the entry module's path, if it names one. */
  setConfig(path, text) {
    this.#config = { path, text };
    return this.#checker.setConfig(path, text);
  }

  /**
   * Checks one file and returns the module specifiers it imports; a file the checker cannot
   * analyse is a finding instead (and imports nothing that is followed).
   */
  addFile(path, bytes) {
    let imports;
    try {
      imports = this.#checker.addFile(path, bytes);
    } catch (error) {
      if (!isTrap(error) || this.#files === null) throw error;
      this.#replace();
      this.#checker.addUnanalysable(path, bytes);
      this.#files.push({ path, analysed: false });
      this.#keep();
      return [];
    }
    this.#files?.push({ path, analysed: true });
    return imports;
  }

  /** A fresh instance holding the records of the files the trapped one held. */
  #replace() {
    this.#bindings.__wbg_reset_state();
    this.#checker = new this.#bindings.Checker(this.#rules);
    if (this.#config !== undefined) this.#checker.setConfig(this.#config.path, this.#config.text);
    const files = this.#files;
    this.#files = [];
    for (const { path, analysed } of files) {
      if (analysed) this.addFile(path, this.#read(path));
      else {
        this.#checker.addUnanalysable(path, this.#read(path));
        this.#files.push({ path, analysed });
      }
    }
  }

  /** Takes the instance's records out, to be kept here: a later trap need not check them again. */
  #keep() {
    this.#kept.push([this.#checker.exportRecords(), this.#files.length]);
    this.#files = [];
  }

  /** Every record so far, kept and the instance's, as one JSON array, and their number. */
  #takeAll() {
    const count = this.#kept.reduce((n, [, c]) => n + c, 0) + (this.#files?.length ?? 0);
    const parts = [...this.#kept.map(([json]) => json), this.#checker.exportRecords()];
    this.#kept = [];
    this.#files = [];
    // Each part is a JSON array (`[]` when empty): their elements, joined.
    const items = parts.map((json) => json.slice(1, -1)).filter((inner) => inner !== "");
    return [`[${items.join(",")}]`, count];
  }

  /** Puts the kept records (if any) back into the instance, in order, with the instance's own. */
  #restoreKept() {
    if (this.#kept.length === 0) return;
    const [all, count] = this.#takeAll();
    this.#checker.mergeRecords(all, [], Uint32Array.from({ length: count }, (_, i) => i));
  }

  /** The records of the files checked so far, as JSON, taken out of this checker. */
  exportRecords() {
    return this.#takeAll()[0];
  }

  /** Merges another checker's records (see `Checker.mergeRecords`), after the last file. */
  mergeRecords(records, mine, theirs) {
    // The kept records back into the instance, in order, then the other checker's.
    this.#restoreKept();
    this.#checker.mergeRecords(records, mine, theirs);
    this.#files = null;
  }

  /** The report, as JSON text. */
  finish() {
    this.#restoreKept();
    return this.#checker.finish();
  }
}
