// S5P — a paired probe of S5: `this.sql` and raw `sql.exec` taking turns in one object, so that
// a few percent show through the load of a shared machine. Not part of a full run:
//
//   bash scripts/bench.sh --only S5P --rounds 5
//
// One `paired` sample runs, in blocks taking turns (the first of each block rotated):
// - inserts: `raw` `sql.exec(INSERT ...)`; `rawCounts`, the same reading the cursor's `rowsRead`
//   and `rowsWritten` (what `run` returns, so its floor); `ours`, `this.sql.run`. Each variant
//   writes its own table of S5's shape, ids ascending, so each appends as S5's sides do;
// - selects by primary key over one table, the same random ids for every variant of a block:
//   `raw` `exec(...).one()`; `rawArray` `exec(...).toArray()` (the native calls `one` makes);
//   `ours`, `this.sql.one`;
// - IN lists of 5,000 ids: `raw`, S5's 100-parameter chunks; `ours`, `this.sql.all` with `sql.in`.
// Every ratio is a median over the blocks of (variant block time / the `raw` block beside it).
// Findings: docs/reports/sql-core.md.
import type { OursBench } from "../ours";
import { type SampleResult, type Scenario, seeded } from "../harness";
import { medianRatio, takingTurns } from "./paired";
import { name, oursSql, rawSql, s5, type S5Params } from "./s5-sql";

export interface S5PParams extends S5Params {
  /** Blocks per phase per variant. */
  blocks: number;
  /** Inserts or selects in a row per variant (about 15 ms each). */
  block: number;
  /** IN lists in a row per variant. */
  inListBlock: number;
}

/**
 * Statement texts as wasm-bindgen hands the compiled text over (a string decoded from UTF-8, not
 * internalized): the platform internalizes the text of every `exec` to find its statement.
 */
const decoded = (text: string) => new TextDecoder().decode(new TextEncoder().encode(text));
const INSERT_DECODED = decoded("INSERT INTO s5p_decoded (id, name, n) VALUES (?, ?, ?)");
const SELECT_DECODED = decoded("SELECT id, name, n FROM items WHERE id = ?");

const IN_JSON = "SELECT id, name, n FROM items WHERE id IN (SELECT value FROM json_each(?))";

type Row = Record<string, SqlStorageValue>;

/** As pkg-template/src/sql.ts `rowObjects` builds rows. */
function assignRows(cursor: SqlStorageCursor<Row>): Row[] {
  const rows: Row[] = [];
  let names: string[] | undefined;
  for (const values of cursor.raw()) {
    names ??= cursor.columnNames;
    const row: Row = {};
    for (let k = 0; k < names.length; k++) row[names[k]!] = values[k] as SqlStorageValue;
    rows.push(row);
  }
  return rows;
}

/** {@link assignRows} with one store site per column for up to four columns. */
function unrolledRows(cursor: SqlStorageCursor<Row>): Row[] {
  const rows: Row[] = [];
  let names: string[] | undefined;
  for (const values of cursor.raw()) {
    names ??= cursor.columnNames;
    const row: Row = {};
    switch (names.length) {
      case 3:
        row[names[0]!] = values[0] as SqlStorageValue;
        row[names[1]!] = values[1] as SqlStorageValue;
        row[names[2]!] = values[2] as SqlStorageValue;
        break;
      default:
        for (let k = 0; k < names.length; k++) row[names[k]!] = values[k] as SqlStorageValue;
    }
    rows.push(row);
  }
  return rows;
}

function paired(obj: OursBench, p: S5PParams): SampleResult {
  const sql = obj.dctx.storage.sql;
  const db = obj.sql;
  // S5's own selects and IN lists, where the probe times the same statements.
  const raw = rawSql(sql);
  const ours = oursSql(obj);
  for (const table of ["s5p_raw", "s5p_spread", "s5p_decoded", "s5p_counts", "s5p_ours"]) {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL)`);
  }
  const size = p.block;
  let failure: string | undefined;

  const inserts = takingTurns(
    {
      raw: (b) => {
        for (let i = b * size; i < (b + 1) * size; i++) sql.exec("INSERT INTO s5p_raw (id, name, n) VALUES (?, ?, ?)", i, name(i), i);
        return size;
      },
      rawSpread: (b) => {
        for (let i = b * size; i < (b + 1) * size; i++) {
          const args = [i, name(i), i];
          sql.exec("INSERT INTO s5p_spread (id, name, n) VALUES (?, ?, ?)", ...args);
        }
        return size;
      },
      rawDecoded: (b) => {
        for (let i = b * size; i < (b + 1) * size; i++) sql.exec(INSERT_DECODED, i, name(i), i);
        return size;
      },
      rawCounts: (b) => {
        let written = 0;
        for (let i = b * size; i < (b + 1) * size; i++) {
          const cursor = sql.exec("INSERT INTO s5p_counts (id, name, n) VALUES (?, ?, ?)", i, name(i), i);
          const result = { rowsRead: cursor.rowsRead, rowsWritten: cursor.rowsWritten };
          written += result.rowsWritten;
        }
        return written;
      },
      ours: (b) => {
        let written = 0;
        for (let i = b * size; i < (b + 1) * size; i++) {
          written += db.run`INSERT INTO s5p_ours (id, name, n) VALUES (${i}, ${name(i)}, ${i})`.rowsWritten;
        }
        return written;
      },
    },
    p.blocks,
  );

  // The selects read S5's table, filled with as many rows as the inserts wrote.
  const rows = p.blocks * size;
  for (let i = 0; i < rows; i++) sql.exec("INSERT OR REPLACE INTO items (id, name, n) VALUES (?, ?, ?)", i, name(i), i);
  const random = seeded(5);
  const ids = Array.from({ length: rows }, () => Math.floor(random() * rows));
  let missing = 0;
  const selects = takingTurns(
    {
      raw: (b) => {
        for (let k = b * size; k < (b + 1) * size; k++) {
          if (raw.select(ids[k]!) === undefined) missing += 1;
        }
        return size;
      },
      rawSpread: (b) => {
        for (let k = b * size; k < (b + 1) * size; k++) {
          const args = [ids[k]!];
          if (sql.exec("SELECT id, name, n FROM items WHERE id = ?", ...args).one() === undefined) missing += 1;
        }
        return size;
      },
      rawDecoded: (b) => {
        for (let k = b * size; k < (b + 1) * size; k++) {
          if (sql.exec(SELECT_DECODED, ids[k]!).one() === undefined) missing += 1;
        }
        return size;
      },
      rawArray: (b) => {
        for (let k = b * size; k < (b + 1) * size; k++) {
          if (sql.exec("SELECT id, name, n FROM items WHERE id = ?", ids[k]!).toArray()[0] === undefined) missing += 1;
        }
        return size;
      },
      ours: (b) => {
        for (let k = b * size; k < (b + 1) * size; k++) {
          if (ours.select(ids[k]!) === undefined) missing += 1;
        }
        return size;
      },
    },
    p.blocks,
  );
  if (missing > 0) failure = `${missing} selects found nothing`;

  const step = Math.max(1, Math.floor(rows / p.inListIds));
  const list = Array.from({ length: Math.min(p.inListIds, rows) }, (_, k) => (k * step) % rows);
  let wrong = 0;
  const inLists = takingTurns(
    {
      raw: () => {
        for (let r = 0; r < p.inListBlock; r++) if (raw.inList(list) !== list.length) wrong += 1;
        return 0;
      },
      jsonCount: () => {
        for (let r = 0; r < p.inListBlock; r++) {
          let count = 0;
          for (const _ of sql.exec(IN_JSON, JSON.stringify(list)).raw()) count += 1;
          if (count !== list.length) wrong += 1;
        }
        return 0;
      },
      jsonToArray: () => {
        for (let r = 0; r < p.inListBlock; r++) if (sql.exec(IN_JSON, JSON.stringify(list)).toArray().length !== list.length) wrong += 1;
        return 0;
      },
      jsonAssign: () => {
        for (let r = 0; r < p.inListBlock; r++) if (assignRows(sql.exec(IN_JSON, JSON.stringify(list))).length !== list.length) wrong += 1;
        return 0;
      },
      jsonUnrolled: () => {
        for (let r = 0; r < p.inListBlock; r++) if (unrolledRows(sql.exec(IN_JSON, JSON.stringify(list))).length !== list.length) wrong += 1;
        return 0;
      },
      ours: () => {
        for (let r = 0; r < p.inListBlock; r++) if (ours.inList(list) !== list.length) wrong += 1;
        return 0;
      },
    },
    p.blocks,
  );
  if (wrong > 0) failure = `${wrong} IN lists returned the wrong number of rows`;

  // Per S5's units: p.inserts inserts, p.selects selects, one IN list.
  const perInsert = p.inserts / (p.blocks * size);
  const perSelect = p.selects / (p.blocks * size);
  const perList = 1 / (p.blocks * p.inListBlock);
  return {
    timings: {
      insertRaw: inserts.spent.raw * perInsert,
      insertCounts: inserts.spent.rawCounts * perInsert,
      insertOurs: inserts.spent.ours * perInsert,
      insertCountsOverRaw: medianRatio(inserts, "rawCounts", "raw"),
      insertOursOverRaw: medianRatio(inserts, "ours", "raw"),
      selectRaw: selects.spent.raw * perSelect,
      selectArray: selects.spent.rawArray * perSelect,
      selectOurs: selects.spent.ours * perSelect,
      selectArrayOverRaw: medianRatio(selects, "rawArray", "raw"),
      selectOursOverRaw: medianRatio(selects, "ours", "raw"),
      inListRaw: inLists.spent.raw * perList,
      inListOurs: inLists.spent.ours * perList,
      inListOursOverRaw: medianRatio(inLists, "ours", "raw"),
      inListCountOverRaw: medianRatio(inLists, "jsonCount", "raw"),
      inListToArrayOverRaw: medianRatio(inLists, "jsonToArray", "raw"),
      inListAssignOverRaw: medianRatio(inLists, "jsonAssign", "raw"),
      inListUnrolledOverRaw: medianRatio(inLists, "jsonUnrolled", "raw"),
      insertSpreadOverRaw: medianRatio(inserts, "rawSpread", "raw"),
      insertDecodedOverRaw: medianRatio(inserts, "rawDecoded", "raw"),
      selectDecodedOverRaw: medianRatio(selects, "rawDecoded", "raw"),
      selectSpreadOverRaw: medianRatio(selects, "rawSpread", "raw"),
    },
    failure,
  };
}

export const s5Probes: Scenario<S5PParams> = {
  id: "S5P",
  title: "probe of S5: this.sql and raw sql.exec taking turns in one object (not in a full run)",
  probeOnly: true,
  sizes: {
    full: { ...s5.sizes.full, blocks: 12, block: 4000, inListBlock: 4 },
    smoke: { ...s5.sizes.smoke, blocks: 2, block: 100, inListBlock: 1 },
  },
  metrics: [
    { key: "insertRaw", label: "raw sql.exec inserts, per 10,000 (ms)" },
    { key: "insertCounts", label: "raw sql.exec inserts reading rowsRead and rowsWritten, per 10,000 (ms)" },
    { key: "insertOurs", label: "this.sql.run inserts, per 10,000 (ms)" },
    { key: "insertCountsOverRaw", label: "inserts: raw with the counts ÷ raw, median over blocks (a ratio, not ms)" },
    { key: "insertOursOverRaw", label: "inserts: this.sql.run ÷ raw, median over blocks (a ratio, not ms)" },
    { key: "selectRaw", label: "raw exec().one() selects, per 10,000 (ms)" },
    { key: "selectArray", label: "raw exec().toArray() selects, per 10,000 (ms)" },
    { key: "selectOurs", label: "this.sql.one selects, per 10,000 (ms)" },
    { key: "selectArrayOverRaw", label: "selects: raw toArray() ÷ raw one(), median over blocks (a ratio, not ms)" },
    { key: "selectOursOverRaw", label: "selects: this.sql.one ÷ raw one(), median over blocks (a ratio, not ms)" },
    { key: "inListRaw", label: "one IN list of 5,000 ids in 100-parameter chunks (ms)" },
    { key: "inListOurs", label: "one IN list of 5,000 ids through this.sql.all and sql.in (ms)" },
    { key: "inListOursOverRaw", label: "IN list: ours ÷ chunks, median over blocks (a ratio, not ms)" },
    { key: "inListCountOverRaw", label: "IN list: json_each, raw() counted only ÷ chunks (a ratio)" },
    { key: "inListToArrayOverRaw", label: "IN list: json_each, toArray() ÷ chunks (a ratio)" },
    { key: "inListAssignOverRaw", label: "IN list: json_each, raw() rows assigned ÷ chunks (a ratio)" },
    { key: "inListUnrolledOverRaw", label: "IN list: json_each, raw() rows assigned, unrolled ÷ chunks (a ratio)" },
    { key: "insertDecodedOverRaw", label: "inserts: raw with a decoded (not internalized) text ÷ raw (a ratio)" },
    { key: "selectDecodedOverRaw", label: "selects: raw with a decoded (not internalized) text ÷ raw (a ratio)" },
    { key: "insertSpreadOverRaw", label: "inserts: raw with a spread argument array ÷ raw (a ratio)" },
    { key: "selectSpreadOverRaw", label: "selects: raw with a spread argument array ÷ raw (a ratio)" },
  ],
  baseline: "paired",
  sides: {
    paired: {
      label: "paired: this.sql and raw sql.exec taking turns in one object",
      binding: "OURS",
      run: paired,
    },
  },
  notes: [],
  targets: [],
};
