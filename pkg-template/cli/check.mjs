// `durable-core check [dir]`: reviews a Worker project (its wrangler configuration and the
// sources reachable from `main`) against the Durable Object platform's rules. The rules run in
// the checker's own wasm (`./wasm/`), which no Worker ever imports; this file only reads files,
// follows imports and prints the report.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { RecoveringChecker } from "./recovering-checker.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const CONFIG_NAMES = ["wrangler.jsonc", "wrangler.json", "wrangler.toml"];
const SOURCE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".wrangler", "dist", "coverage"]);
// Each rule's page ships in the package (docs/rules/<id>.md, next to cli/).
const DOCS = join(HERE, "..", "docs", "rules");

const HELP = `usage: durable-core check [dir] [options]

Reviews the Worker project in [dir] (default: the current directory): its wrangler
configuration and the sources reachable from its \`main\`.

options:
  -c, --config <path>      the wrangler configuration (default: wrangler.jsonc, .json or .toml)
  --include <glob>         also check these files (repeatable), e.g. "src/**/*.ts"
  --rule <id>=<level>      off, warn or error (repeatable); also "durableCore.check.rules" in package.json
  --format <name>          human (default), json or sarif
  --max-warnings <n>       fail when there are more than n warnings
  --rules                  list the rules and exit
  -h, --help               this help

exit codes: 0 no errors, 1 errors (or too many warnings), 2 usage or configuration failure`;

class UsageError extends Error {}

function parseArgs(args) {
  const options = { dir: undefined, config: undefined, include: [], rules: {}, format: "human", maxWarnings: undefined, listRules: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === "-h" || arg === "--help") options.help = true;
    else if (arg === "--rules") options.listRules = true;
    else if (arg === "-c" || arg === "--config") options.config = value();
    else if (arg === "--include") options.include.push(value());
    else if (arg === "--format") options.format = value();
    else if (arg === "--max-warnings") {
      const text = value();
      if (!/^\d+$/.test(text)) throw new UsageError(`--max-warnings takes a whole number, got \`${text}\``);
      options.maxWarnings = Number(text);
    } else if (arg === "--rule") {
      const text = value();
      const eq = text.indexOf("=");
      if (eq <= 0) throw new UsageError(`--rule takes <id>=off|warn|error, got \`${text}\``);
      options.rules[text.slice(0, eq)] = text.slice(eq + 1);
    } else if (arg.startsWith("-")) throw new UsageError(`unknown option \`${arg}\``);
    else if (options.dir === undefined) options.dir = arg;
    else throw new UsageError(`one directory at a time (got \`${options.dir}\` and \`${arg}\`)`);
  }
  if (!["human", "json", "sarif"].includes(options.format)) {
    throw new UsageError(`unknown format \`${options.format}\` (use human, json or sarif)`);
  }
  return options;
}

// V8's flags for the checker's wasm (docs/reports/s8-check.md). Only the baseline compiler
// (Liftoff) compiles it: a check is too short for the optimising tier to pay back its compile
// time. Each function is validated when it is first compiled, not all of them up front: a check
// calls about a third of them. The flags are the process's; the CLI runs no other wasm.
const V8_FLAGS = "--liftoff-only --wasm-lazy-validation";

/**
 * Sets the V8 flags and compiles the checker's wasm; `await` the result to use it. A worker
 * thread, if there is one, must have started before this (see `startWorker`).
 */
function compileChecker(bindingsLoading = import("./wasm/durable_core_check.js")) {
  setFlagsFromString(V8_FLAGS);
  const module = WebAssembly.compile(readFileSync(join(HERE, "wasm", "durable_core_check_bg.wasm")));
  return Promise.all([bindingsLoading, module]).then(([bindings, compiled]) => {
    bindings.initSync({ module: compiled });
    return { bindings, module: compiled };
  });
}

// A second thread pays for itself from a few hundred files on (starting one costs about as much
// as checking many files; docs/reports/s8-check.md); below that, or with one core, the check
// runs on the main thread only.
// DURABLE_CORE_CHECK_THREADS=1 or 2 forces the choice (the tests check both give one report).
const PARALLEL_MIN_FILES = 200;
// Files handed to the worker ahead of its answers: enough that it never waits for the main
// thread, which is checking files of its own in between.
const WORKER_AHEAD = 8;

function threadCount(sources) {
  const forced = process.env.DURABLE_CORE_CHECK_THREADS;
  if (forced === "1" || forced === "2") return Number(forced);
  return sources >= PARALLEL_MIN_FILES && availableParallelism() > 1 ? 2 : 1;
}

/** A glob (`*`, `**`, `?`, `{a,b}`) as a RegExp over `/`-separated relative paths. */
export function globToRegExp(glob) {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "{") out += "(?:";
    else if (c === "}") out += ")";
    else if (c === ",") out += "|";
    else out += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/**
 * The project's files (`/`-separated, relative to `root`), with what the walk saw: every
 * directory it listed and every symbolic link in them, so that imports resolve against the
 * listing instead of the file system.
 */
function walk(root) {
  const listing = { files: [], dirs: new Set(), links: new Set() };
  // Paths are built as `/`-separated strings from the directory's own path: no path.join,
  // path.relative or separator conversion per file.
  const visit = (dir) => {
    listing.dirs.add(dir);
    const prefix = dir === "" ? "" : `${dir}/`;
    for (const entry of readdirSync(dir === "" ? root : join(root, dir), { withFileTypes: true })) {
      const path = prefix + entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith(".")) visit(path);
      } else if (entry.isFile()) listing.files.push(path);
      else if (entry.isSymbolicLink()) listing.links.add(path);
    }
  };
  visit("");
  return listing;
}

const toPosix = (path) => path.split(sep).join("/");

/**
 * Whether the project path `path` is a file. The walk's listing answers for the directories it
 * listed (a name it did not see there is no file); the file system for the rest (skipped
 * directories, paths outside the project, symbolic links).
 */
function isFile(root, path, listing, files) {
  if (files.has(path)) return true;
  if (listing.dirs.has(posix.dirname(path) === "." ? "" : posix.dirname(path)) && !listing.links.has(path)) return false;
  const absolute = join(root, path);
  return existsSync(absolute) && statSync(absolute).isFile();
}

/** The file a relative import names, as TypeScript and wrangler would find it. */
function resolveImport(root, from, specifier, listing, files) {
  if (!specifier.startsWith(".")) return undefined;
  const base = posix.join(posix.dirname(from), specifier);
  const stem = base.replace(/\.(?:m?js)$/, "");
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${base}.ts`, `${base}.tsx`, `${base}.js`, `${base}.mjs`, posix.join(base, "index.ts"), posix.join(base, "index.js")];
  return candidates.find((c) => SOURCE.test(c) && isFile(root, c, listing, files));
}

function readSettings(root) {
  const path = join(root, "package.json");
  if (!existsSync(path)) return {};
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(`package.json: ${error.message}`);
  }
  const settings = pkg?.durableCore?.check ?? {};
  if (typeof settings !== "object" || Array.isArray(settings)) throw new UsageError("package.json: durableCore.check must be an object");
  if (settings.rules !== undefined && (typeof settings.rules !== "object" || Array.isArray(settings.rules))) {
    throw new UsageError('package.json: durableCore.check.rules must be an object of { "<rule>": "off" | "warn" | "error" }');
  }
  if (settings.include !== undefined && !(Array.isArray(settings.include) && settings.include.every((g) => typeof g === "string"))) {
    throw new UsageError("package.json: durableCore.check.include must be an array of globs");
  }
  return settings;
}

/** Runs the checker over the project and returns the report object. */
export async function review(options) {
  // The bindings' JavaScript loads while the project is walked; the wasm is compiled after the
  // walk, once it is known whether a worker starts first (see `startWorker`).
  const bindingsLoading = import("./wasm/durable_core_check.js");
  // A usage error below must not leave the import's promise unobserved.
  bindingsLoading.catch(() => {});
  const root = resolve(options.dir ?? ".");
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`not a directory: ${root}`);
  const settings = readSettings(root);
  // Levels may be written as ESLint writes them (0, 1, 2) as well as off/warn/error.
  const rules = Object.fromEntries(Object.entries({ ...(settings.rules ?? {}), ...options.rules }).map(([id, level]) => [id, String(level)]));
  const include = [...(settings.include ?? []), ...options.include];
  const configPath = options.config !== undefined ? resolve(options.config) : CONFIG_NAMES.map((n) => join(root, n)).find(existsSync);
  if (configPath === undefined || !existsSync(configPath)) {
    throw new UsageError(`no wrangler configuration in ${root} (${CONFIG_NAMES.join(", ")}); name one with -c <path>`);
  }
  const listing = walk(root);
  const all = listing.files;
  const files = new Set(all);
  const sources = all.filter((p) => SOURCE.test(p));
  const worker = threadCount(sources.length) > 1 ? startWorker(root) : undefined;
  // Files read while the worker starts, for whichever thread checks them.
  const early = new Map();
  const helper = worker && (await worker.started(readAhead(root, sources, early)));
  let checker;
  try {
    checker = await check({ root, rules, include, configPath, listing, files, bindingsLoading, helper, early });
  } catch (error) {
    // Whatever failed, a started worker must stop, or its port would keep the process alive.
    helper?.stop();
    throw error;
  }
  const report = JSON.parse(checker.finish());
  report.root = root;
  return report;
}

/** Compiles the checker and checks the project's files (on two threads with a `helper`). */
async function check({ root, rules, include, configPath, listing, files, bindingsLoading, helper, early }) {
  const all = listing.files;
  const { bindings, module } = await compileChecker(bindingsLoading);
  const rulesJson = JSON.stringify(rules);
  let checker;
  try {
    // A file checked again after a trap (see RecoveringChecker) is read again.
    checker = new RecoveringChecker(bindings, rulesJson, (path) => readFileSync(join(root, path)));
  } catch (error) {
    throw new UsageError(error.message);
  }
  const config = { path: toPosix(relative(root, configPath)), text: readFileSync(configPath, "utf8") };
  let entry;
  try {
    entry = checker.setConfig(config.path, config.text);
  } catch (error) {
    throw new UsageError(`configuration: ${error.message}`);
  }
  const queue = [];
  const seen = new Set();
  const enqueue = (path) => {
    if (!seen.has(path)) {
      seen.add(path);
      queue.push(path);
    }
  };
  if (entry !== undefined) {
    if (!existsSync(join(root, entry))) throw new UsageError(`the configuration's main, ${entry}, does not exist`);
    enqueue(entry);
  }
  // Declaration files are not imported but declare `Env`, which `untyped-namespace` reads
  // (those of test folders describe the test runtime, not the Worker).
  for (const path of all) if (path.endsWith(".d.ts") && !path.includes("/test/")) enqueue(path);
  for (const glob of include) {
    const pattern = globToRegExp(glob);
    for (const path of all) if (SOURCE.test(path) && pattern.test(path)) enqueue(path);
  }
  /** Queues the files `path` imports. */
  const follow = (path, imports) => {
    for (const specifier of imports) {
      const target = resolveImport(root, path, specifier, listing, files);
      if (target !== undefined) enqueue(target);
    }
  };
  /** A file's bytes: read early, or now. */
  const bytes = (path) => {
    const read = early.get(path);
    if (read === undefined) return readFileSync(join(root, path));
    early.delete(path);
    return read;
  };
  if (helper !== undefined) {
    await checkWithWorker({ checker, helper, module, rulesJson, config, queue, follow, bytes, early });
  } else {
    for (let i = 0; i < queue.length; i++) follow(queue[i], checker.addFile(queue[i], bytes(queue[i])));
  }
  return checker;
}

// Bytes read ahead while the worker starts, at most (a bound for projects of huge files).
const READ_AHEAD_BYTES = 64 * 2 ** 20;

/**
 * A reader of source files into `early`, in the walk's order, until `enough()` says to stop. A
 * file that cannot be read is left for its turn, which reports it.
 */
function readAhead(root, sources, early) {
  let total = 0;
  return (enough) => {
    for (const path of sources) {
      if (enough() || total > READ_AHEAD_BYTES) return;
      if (early.has(path)) continue;
      try {
        const read = readFileSync(join(root, path));
        early.set(path, read);
        total += read.length;
      } catch {
        // Read again (and reported) when the file's turn comes.
      }
    }
  };
}

/**
 * Starts the worker thread that checks every other file. It starts before the V8 flags are set
 * (`compileChecker`): a flag changed before a worker's isolate is made costs that worker Node's
 * startup snapshot and built-in code cache (about 25 ms more to start; docs/reports/s8-check.md).
 * The flags are set once the worker says it has started (its isolate made, its modules loaded),
 * so no flag changes while it is being made; its wasm, compiled afterwards and handed over in a
 * message, runs with them.
 *
 * Returns `undefined` when the worker cannot even be constructed, else an object whose
 * `started(readAhead)` resolves to the helper, or to `undefined` if the worker failed before it
 * started (EMFILE, memory): the check then runs on this thread alone.
 */
function startWorker(root) {
  const channel = new MessageChannel();
  // [0]: answers sent (the worker adds 1 per message); [1]: 1 once the worker has started.
  const signal = new Int32Array(new SharedArrayBuffer(8));
  let worker;
  try {
    worker = new Worker(new URL("./check-worker.mjs", import.meta.url), {
      workerData: { root, port: channel.port2, signal },
      transferList: [channel.port2],
    });
  } catch {
    channel.port1.close();
    return undefined;
  }
  // Set once the worker has stopped. It stops on its own after its last answer, and that
  // answer is still in the port when the exit is seen, so the port is read before `stopped`.
  let stopped;
  const stopping = new Promise((resolve) => {
    worker.once("error", (error) => resolve((stopped = error)));
    worker.once("exit", (code) => resolve((stopped ??= new Error(`the checker's worker stopped (exit code ${code})`))));
  });
  const helper = {
    worker,
    port: channel.port1,
    signal,
    stopping,
    stopped: () => stopped,
    stop() {
      channel.port1.close();
      void worker.terminate();
    },
  };
  return {
    /** Reads files ahead (`read(enough)`) until the worker has started, then waits for it. */
    async started(read) {
      read(() => Atomics.load(signal, 1) === 1 || stopped !== undefined);
      while (Atomics.load(signal, 1) !== 1 && stopped === undefined) {
        const waiting = Atomics.waitAsync(signal, 1, 0);
        if (waiting.async) await Promise.race([waiting.value, stopping]);
      }
      if (Atomics.load(signal, 1) === 1 && stopped === undefined) return helper;
      // It failed before it started: the check runs on this thread alone.
      helper.stop();
      return undefined;
    },
  };
}

/** An error the worker sent (as `{ name, message, stack, code }`), as this thread would throw it. */
function workerError(sent) {
  const error = new Error(sent.message);
  error.name = sent.name;
  if (sent.code !== undefined) error.code = sent.code;
  error.stack = sent.stack;
  return error;
}

/**
 * Checks the files of `queue` (which grows as `follow` queues their imports) on two threads:
 * this one and a worker, each with its own instance of the checker, the worker fed a few files
 * ahead. At the end the worker's records are merged into `checker` in queue order, so the report
 * is the one a single thread makes.
 */
async function checkWithWorker({ checker, helper, module, rulesJson, config, queue, follow, bytes, early }) {
  const { worker, port, signal, stopping } = helper;
  port.postMessage({ module, rules: rulesJson, configPath: config.path, configText: config.text });
  /** The worker's next message, waiting for it only when none is there yet. */
  const receive = async () => {
    for (;;) {
      const seen = Atomics.load(signal, 0);
      const received = receiveMessageOnPort(port);
      if (received !== undefined) {
        if (received.message.error !== undefined) throw workerError(received.message.error);
        return received.message;
      }
      if (helper.stopped() !== undefined) throw helper.stopped();
      const waiting = Atomics.waitAsync(signal, 0, seen);
      if (waiting.async) await Promise.race([waiting.value, stopping]);
    }
  };
  const mine = [];
  const theirs = [];
  let records;
  try {
    let next = 0;
    let ahead = 0;
    // Imports are followed in queue order, whichever thread answers first, so that the queue
    // (and with it the report's file order) is the one a single thread builds.
    const imports = [];
    let followed = 0;
    const done = (index, found) => {
      imports[index] = found;
      for (; followed < queue.length && imports[followed] !== undefined; followed++) {
        follow(queue[followed], imports[followed]);
        imports[followed] = null;
      }
    };
    for (;;) {
      for (let received; (received = receiveMessageOnPort(port)) !== undefined; ) {
        const message = received.message;
        if (message.error !== undefined) throw workerError(message.error);
        done(message.index, message.imports);
        ahead--;
      }
      while (ahead < WORKER_AHEAD && next < queue.length) {
        const path = queue[next];
        // A file read ahead goes with its bytes (copied), the worker reads the others itself.
        const read = early.get(path);
        if (read !== undefined) early.delete(path);
        port.postMessage({ index: next, path, bytes: read });
        theirs.push(next++);
        ahead++;
      }
      if (next < queue.length) {
        const path = queue[next];
        mine.push(next);
        done(next++, checker.addFile(path, bytes(path)));
      } else if (ahead > 0) {
        const message = await receive();
        done(message.index, message.imports);
        ahead--;
      } else break;
    }
    port.postMessage({ finish: true });
    records = (await receive()).records;
  } catch (error) {
    // This thread's own file failed (unreadable, or a trap), or the worker did: stop the worker,
    // or its port would keep the process alive after the error is reported.
    helper.stop();
    throw error;
  }
  port.close();
  // The worker ends on its own once its port is closed; the process need not wait for it.
  worker.unref();
  checker.mergeRecords(records, Uint32Array.from(mine), Uint32Array.from(theirs));
}

export function ruleList() {
  return compileChecker().then(({ bindings }) => JSON.parse(bindings.rules()));
}

const paint = (on) => {
  const wrap = (code) => (text) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { red: wrap(31), yellow: wrap(33), dim: wrap(2), bold: wrap(1), cyan: wrap(36) };
};

function codeFrame(text, finding, c) {
  const lines = text.split("\n");
  const { line, column } = finding.start;
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  const out = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? c.red(">") : " ";
    out.push(`${marker} ${c.dim(String(n).padStart(width))} | ${lines[n - 1].replace(/\r$/, "")}`);
    if (n === line) {
      const end = finding.end.line === line ? finding.end.column : lines[n - 1].length + 1;
      const carets = "^".repeat(Math.max(1, end - column));
      out.push(`  ${" ".repeat(width)} | ${" ".repeat(column - 1)}${c.red(carets)}`);
    }
  }
  return out.join("\n");
}

export function formatHuman(report, color) {
  const c = paint(color);
  const texts = new Map();
  const out = [];
  for (const f of report.findings) {
    if (!texts.has(f.file)) {
      try {
        texts.set(f.file, readFileSync(join(report.root, f.file), "utf8"));
      } catch {
        texts.set(f.file, "");
      }
    }
    const severity = f.severity === "error" ? c.red("error") : c.yellow("warning");
    out.push(`${c.bold(`${f.file}:${f.start.line}:${f.start.column}`)}  ${severity}  ${c.cyan(f.rule)}  ${f.message}`);
    out.push(codeFrame(texts.get(f.file), f, c));
    out.push("");
  }
  const files = `${report.files.length} file${report.files.length === 1 ? "" : "s"}`;
  const total = report.errors + report.warnings;
  if (total === 0) out.push(`durable-core check: no problems in ${files}`);
  else {
    const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    const summary = `durable-core check: ${plural(total, "problem")} (${plural(report.errors, "error")}, ${plural(report.warnings, "warning")}) in ${files}`;
    out.push(report.errors > 0 ? c.red(summary) : c.yellow(summary));
  }
  return out.join("\n");
}

export function formatSarif(report, rules) {
  // Every rule is listed, so that ruleIndex stays stable from one run to the next.
  const listed = rules;
  const index = new Map(listed.map((r, i) => [r.id, i]));
  return JSON.stringify(
    {
      $schema: "https://json.schemastore.org/sarif-2.1.0.json",
      version: "2.1.0",
      runs: [
        {
          tool: {
            driver: {
              name: "durable-core check",
              rules: listed.map((r) => ({
                id: r.id,
                shortDescription: { text: r.summary },
                ...(existsSync(join(DOCS, `${r.id}.md`)) ? { helpUri: pathToFileURL(join(DOCS, `${r.id}.md`)).href } : {}),
                defaultConfiguration: { level: r.severity },
                properties: { category: r.category },
              })),
            },
          },
          results: report.findings.map((f) => ({
            ruleId: f.rule,
            ruleIndex: index.get(f.rule),
            level: f.severity,
            message: { text: f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: f.file },
                  region: { startLine: f.start.line, startColumn: f.start.column, endLine: f.end.line, endColumn: f.end.column },
                },
              },
            ],
          })),
        },
      ],
    },
    null,
    2,
  );
}

export async function main(args) {
  let options;
  try {
    options = parseArgs(args);
    if (options.help) {
      console.log(HELP);
      return 0;
    }
    if (options.listRules) {
      for (const r of await ruleList()) console.log(`${r.id.padEnd(26)}${r.severity.padEnd(9)}${r.summary}`);
      return 0;
    }
    const report = await review(options);
    if (options.format === "json") {
      const { root, ...stable } = report;
      console.log(JSON.stringify(stable, null, 2));
    } else if (options.format === "sarif") console.log(formatSarif(report, await ruleList()));
    else console.log(formatHuman(report, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR));
    if (report.errors > 0) return 1;
    if (options.maxWarnings !== undefined && report.warnings > options.maxWarnings) {
      if (options.format === "human") console.error(`durable-core check: ${report.warnings} warnings, more than --max-warnings ${options.maxWarnings}`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`durable-core check: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
