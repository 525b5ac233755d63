// S5 facade probe: what `this.sql.run` / `this.sql.one` / `this.sql.all` add in JS over a direct
// `sql.exec`, over a fake `exec` that does no SQL, for one or more builds of the package in one
// Node process (rounds alternate between them). ns per call above the direct call.
//   node_modules/.bin/node bench/probes/s5-facade.mjs <pkg dir> [<pkg dir> ...]
// (absolute paths). Figures: docs/reports/sql-core.md.
import { readFileSync } from "node:fs";
const dirs = process.argv.slice(2);
const N = 200_000;
class FakeCursor {
  #rows;
  constructor(rows) { this.#rows = rows; }
  get rowsRead() { return 1; }
  get rowsWritten() { return 1; }
  get columnNames() { return ["id", "name", "n"]; }
  toArray() { return this.#rows.map((r) => ({ id: r[0], name: r[1], n: r[2] })); }
  one() { return { id: this.#rows[0][0], name: this.#rows[0][1], n: this.#rows[0][2] }; }
  raw() { return this.#rows[Symbol.iterator](); }
}
const ONE = [[1, "item-1", 1]];
const MANY = Array.from({ length: 100 }, (_, i) => [i, `item-${i}`, i]);
let sink = 0;
const fakeSql = {
  exec(q, ...args) {
    sink += args.length + q.length;
    return new FakeCursor(q.includes("json_each") ? MANY : ONE);
  },
};
const builds = [];
for (const dir of dirs) {
  const tag = `?${builds.length}`;
  const pool = await import(`${dir}/dist/engine-pool.js${tag}`);
  const { Sql, sql } = await import(`${dir}/dist/sql.js${tag}`);
  pool.installEngine(new WebAssembly.Module(readFileSync(`${dir}/dist/wasm/durable_core_bg.wasm`)));
  const core = { call: (fn) => fn(), ctx: { storage: { sql: fakeSql } }, storageReset: () => undefined };
  builds.push({ dir, db: new Sql(core), helper: sql });
}
const name = (i) => `item-${i}`;
const ids = Array.from({ length: 100 }, (_, i) => i);
const cases = {
  direct(b, n) {
    for (let i = 0; i < n; i++) {
      const c = fakeSql.exec("INSERT INTO items (id, name, n) VALUES (?, ?, ?)", i, name(i), i);
      sink += c.rowsRead + c.rowsWritten;
    }
  },
  run(b, n) {
    const db = b.db;
    for (let i = 0; i < n; i++) sink += db.run`INSERT INTO items (id, name, n) VALUES (${i}, ${name(i)}, ${i})`.rowsWritten;
  },
  directOne(b, n) {
    for (let i = 0; i < n; i++) sink += fakeSql.exec("SELECT id, name, n FROM items WHERE id = ?", i).one().n;
  },
  one(b, n) {
    const db = b.db;
    for (let i = 0; i < n; i++) sink += db.one`SELECT id, name, n FROM items WHERE id = ${i}`.n;
  },
  allIn(b, n) {
    const db = b.db;
    for (let i = 0; i < n / 50; i++) sink += db.all`SELECT id, name, n FROM items WHERE id IN ${b.helper.in(ids)}`.length;
  },
};
const times = builds.map(() => Object.fromEntries(Object.keys(cases).map((k) => [k, []])));
for (let r = 0; r < 14; r++) {
  for (let k = 0; k < builds.length; k++) {
    for (const [label, fn] of Object.entries(cases)) {
      const t = performance.now();
      fn(builds[k], N);
      if (r >= 2) times[k][label].push(((performance.now() - t) * 1e6) / N);
    }
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (let k = 0; k < builds.length; k++) {
  const m = Object.fromEntries(Object.entries(times[k]).map(([l, xs]) => [l, med(xs)]));
  console.log(
    `${builds[k].dir}: run ${(m.run - m.direct).toFixed(0)} ns over direct (${m.direct.toFixed(0)}), one ${(m.one - m.directOne).toFixed(0)} ns over direct (${m.directOne.toFixed(0)}), all of 100 IN ${(m.allIn * 50).toFixed(0)} ns per call`,
  );
}
if (sink === 0) console.log("");
