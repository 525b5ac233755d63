// S5 — SQL: 10,000 inserts, 10,000 single-row selects by primary key, an IN list of 5,000 ids.
// Ours binds the IN list as one JSON array expanded by json_each: one statement instead of fifty.
import type { ActorsBench } from "../objects/actors";
import type { AgentsBench } from "../objects/agents";
import { ITEMS_TABLE } from "../objects/common";
import type { RawBench } from "../objects/raw";
import type { OursBench } from "../ours";
import { type SampleResult, type Scenario, seeded, NARROW_TARGET_ROUNDS } from "../harness";

export interface S5Params {
  inserts: number;
  selects: number;
  inListIds: number;
  /** IN-list queries per sample (one takes a few ms); the time reported is per query. */
  inListRepeat: number;
}

export interface SqlOps {
  setup?(): void;
  insert(i: number): unknown;
  select(id: number): unknown;
  /** Returns how many rows came back. Absent when the side has no way to bind a list. */
  inList?(ids: number[]): number;
}

export const name = (i: number) => `item-${i}`;

/** Every operation here is synchronous: nothing is awaited inside the timed loops. */
export async function sqlLoop(p: S5Params, ops: SqlOps): Promise<SampleResult> {
  ops.setup?.();
  let start = performance.now();
  for (let i = 0; i < p.inserts; i++) ops.insert(i);
  const insert = performance.now() - start;

  const random = seeded(5);
  const ids = Array.from({ length: p.selects }, () => Math.floor(random() * p.inserts));
  start = performance.now();
  for (const id of ids) ops.select(id);
  const select = performance.now() - start;

  const timings: Record<string, number> = { insert, select };
  let failure: string | undefined;
  if (ops.inList) {
    const step = Math.max(1, Math.floor(p.inserts / p.inListIds));
    const list = Array.from({ length: p.inListIds }, (_, k) => (k * step) % p.inserts);
    start = performance.now();
    let rows = 0;
    for (let r = 0; r < p.inListRepeat; r++) rows = ops.inList(list);
    timings.inList = (performance.now() - start) / p.inListRepeat;
    if (rows !== p.inListIds) failure = `IN list returned ${rows} rows, expected ${p.inListIds}`;
  }
  return { timings, failure };
}

/** The raw way to exceed the 100-parameter limit: one statement per chunk of 100 ids. */
export function chunkedIn(sql: SqlStorage, ids: number[]): number {
  let rows = 0;
  for (let k = 0; k < ids.length; k += 100) {
    const chunk = ids.slice(k, k + 100);
    const marks = "?,".repeat(chunk.length - 1) + "?";
    rows += sql.exec(`SELECT id, name, n FROM items WHERE id IN (${marks})`, ...chunk).toArray().length;
  }
  return rows;
}

/** The ours side's operations: S5's statements through `this.sql` (S5P times the same). */
export function oursSql(obj: OursBench) {
  return {
    insert: (i: number) => obj.sql.run`INSERT INTO items (id, name, n) VALUES (${i}, ${name(i)}, ${i})`,
    select: (id: number) => obj.sql.one`SELECT id, name, n FROM items WHERE id = ${id}`,
    inList: (ids: number[]) => obj.sql.all`SELECT id, name, n FROM items WHERE id IN ${obj.sqlHelper.in(ids)}`.length,
  } satisfies SqlOps;
}

/** The raw side's operations: S5's statements through `sql.exec` (S5P times the same). */
export function rawSql(sql: SqlStorage) {
  return {
    setup: () => sql.exec(ITEMS_TABLE),
    insert: (i: number) => sql.exec("INSERT INTO items (id, name, n) VALUES (?, ?, ?)", i, name(i), i),
    select: (id: number) => sql.exec("SELECT id, name, n FROM items WHERE id = ?", id).one(),
    inList: (ids: number[]) => chunkedIn(sql, ids),
  } satisfies SqlOps;
}

export const s5: Scenario<S5Params> = {
  id: "S5",
  title: "SQL: 10,000 inserts, 10,000 selects by key, IN list of 5,000 ids",
  sizes: {
    full: { inserts: 10_000, selects: 10_000, inListIds: 5000, inListRepeat: 5 },
    smoke: { inserts: 300, selects: 300, inListIds: 250, inListRepeat: 1 },
  },
  metrics: [
    { key: "insert", label: "n inserts (ms)" },
    { key: "select", label: "n selects by primary key (ms)" },
    { key: "inList", label: "one IN list of 5,000 ids (ms)" },
  ],
  baseline: "raw",
  fullRounds: NARROW_TARGET_ROUNDS,
  batches: 2,
  sides: {
    ours: {
      label: "durable-core this.sql",
      binding: "OURS",
      run: (obj: OursBench, p) => sqlLoop(p, oursSql(obj)),
    },
    agents: {
      label: "agents this.sql",
      binding: "AGENTS",
      metrics: ["insert", "select"],
      run: (obj: AgentsBench, p) =>
        sqlLoop(p, {
          setup: () => obj.sql`CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL)`,
          insert: (i) => obj.sql`INSERT INTO items (id, name, n) VALUES (${i}, ${name(i)}, ${i})`,
          select: (id) => obj.sql`SELECT id, name, n FROM items WHERE id = ${id}`[0],
        }),
    },
    actors: {
      label: "@cloudflare/actors this.sql",
      binding: "ACTORS",
      metrics: ["insert", "select"],
      run: (obj: ActorsBench, p) =>
        sqlLoop(p, {
          setup: () => obj.sql`CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL)`,
          insert: (i) => obj.sql`INSERT INTO items (id, name, n) VALUES (${i}, ${name(i)}, ${i})`,
          select: (id) => obj.sql`SELECT id, name, n FROM items WHERE id = ${id}`[0],
        }),
    },
    raw: {
      label: "raw sql.exec (IN: 100-parameter chunks)",
      binding: "RAW",
      run: (obj: RawBench, p) => sqlLoop(p, rawSql(obj.dctx.storage.sql)),
    },
  },
  notes: [
    "agents' and @cloudflare/actors' `this.sql` tagged templates have no way to bind a list, so their IN-list rows are n/a.",
    "Reference (issue 3): raw sql.exec ≈ 28 ms for 10,000 inserts and ≈ 39 ms for 10,000 selects (agents ≈ 30 / 40 ms); the chunked IN list ≈ 6 ms.",
  ],
  targets: [
    { metric: "insert", against: "raw", maxTimeRatio: 1.05, text: "inserts ≤ 1.05× raw sql.exec (issue 15)" },
    { metric: "select", against: "raw", maxTimeRatio: 1.05, text: "selects ≤ 1.05× raw sql.exec (issue 15)" },
    { metric: "inList", against: "raw", maxTimeRatio: 0.6, text: "IN list ≤ 0.60× 100-parameter chunks (issue 15)" },
  ],
};
