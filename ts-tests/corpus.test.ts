// The bad-input corpus (issue 12): hundreds of bad inputs across every public API, as a table.
// For each: the expected `DurableCoreError` code, every table (`_dc_*` included), the kv entries,
// the alarm and the sockets' attachments unchanged, and no engine reset; across the whole corpus
// the shared wasm memory grows by less than 1 MB.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { type Connection, DurableCoreError, type DurableCoreErrorCode, engineStats, sql } from "durable-core";
import { connect } from "durable-core/testing";
import { describe, expect, it } from "vitest";
import { type CorpusBox, CorpusStatics } from "./fixtures/corpus.js";

/** One bad input: which API, what is wrong with it, the code it must get, and the call. */
interface Row {
  api: string;
  input: string;
  code: DurableCoreErrorCode;
  run: (o: CorpusBox, conn: Connection<any>) => unknown;
}

const rows: Row[] = [];
const row = (api: string, input: string, code: DurableCoreErrorCode, run: Row["run"]) => rows.push({ api, input, code, run });

const cycle = (): object => {
  const value: Record<string, unknown> = {};
  value.self = value;
  return value;
};
const nested = (depth: number): unknown => {
  let key: unknown = 1;
  for (let i = 0; i < depth; i++) key = [key];
  return key;
};

// ---- this.store: keys ------------------------------------------------------------------------

/** Values that are not keys, with the code each gets. `undefined` is left to point reads: in a range it means "no bound". */
const badKeys: [string, unknown, DurableCoreErrorCode][] = [
  ["NaN", Number.NaN, "KEY_TYPE"],
  ["Infinity", Number.POSITIVE_INFINITY, "KEY_TYPE"],
  ["-Infinity", Number.NEGATIVE_INFINITY, "KEY_TYPE"],
  ["a plain object", { a: 1 }, "KEY_TYPE"],
  ["an empty tuple", [], "KEY_TYPE"],
  ["a nested empty tuple", ["a", []], "KEY_TYPE"],
  ["a Date", new Date(0), "KEY_TYPE"],
  ["a Map", new Map(), "KEY_TYPE"],
  ["a function", () => 1, "KEY_TYPE"],
  ["a symbol", Symbol("k"), "KEY_TYPE"],
  ["a lone surrogate", "a\ud800", "KEY_TYPE"],
  ["undefined inside a tuple", ["a", undefined], "KEY_TYPE"],
  ["an Int8Array", new Int8Array(2), "KEY_TYPE"],
  ["an ArrayBuffer", new ArrayBuffer(2), "KEY_TYPE"],
  ["tuples nested 40 deep", nested(40), "KEY_TYPE"],
  ["a boxed number", Object(1), "KEY_TYPE"],
  ["a 2,100-character string", "x".repeat(2100), "KEY_TOO_LARGE"],
  ["1,100 bytes", new Uint8Array(1100), "KEY_TOO_LARGE"],
  ["a 9,000-bit bigint", 2n ** 9000n, "KEY_TOO_LARGE"],
  ["3,000 parts", new Array(3000).fill(0), "KEY_TOO_LARGE"],
  ["a 700-character string of 3-byte characters", "€".repeat(700), "KEY_TOO_LARGE"],
];

const keyOps: [string, (o: CorpusBox, key: any) => unknown][] = [
  ["store.get", (o, k) => o.store.get(k)],
  ["store.has", (o, k) => o.store.has(k)],
  ["store.put", (o, k) => o.store.put(k, { email: "new@x" })],
  ["store.delete", (o, k) => o.store.delete(k)],
  ["store.getMany", (o, k) => o.store.getMany([["ok"], k])],
  ["store.list prefix", (o, k) => o.store.list({ prefix: k })],
  ["store.list start", (o, k) => o.store.list({ start: k })],
  ["store.list startAfter", (o, k) => o.store.list({ startAfter: k })],
  ["store.entries end", (o, k) => [...o.store.entries({ end: k })]],
  ["store.count prefix", (o, k) => o.store.count({ prefix: k })],
  ["store.deleteRange prefix", (o, k) => o.store.deleteRange({ prefix: k })],
  ["store.batch tx.put", (o, k) => o.store.batch((tx) => tx.put(k, 1))],
  ["store.batch tx.delete", (o, k) => o.store.batch((tx) => tx.delete(k))],
  ["index.get", (o, k) => o.store.index("byEmail").get(k)],
  ["index.list start", (o, k) => o.store.index("byEmail").list({ start: k })],
  ["index.count prefix", (o, k) => o.store.index("subByEmail").count({ prefix: k })],
];
for (const [op, run] of keyOps) {
  for (const [input, key, code] of badKeys) row(op, input, code, (o) => run(o, key));
}
for (const op of ["store.get", "store.put", "store.delete", "index.get"]) {
  const run = keyOps.find(([name]) => name === op)![1];
  row(op, "undefined", "KEY_TYPE", (o) => run(o, undefined));
}

// ---- this.store: values, index keys, ranges, batches ------------------------------------------

const badValues: [string, unknown, DurableCoreErrorCode][] = [
  ["undefined", undefined, "STORE_VALUE"],
  ["a function", () => 1, "STORE_VALUE"],
  ["a symbol", Symbol("v"), "STORE_VALUE"],
  ["a Map", new Map([[1, 2]]), "STORE_VALUE"],
  ["a Set", new Set([1]), "STORE_VALUE"],
  ["a Date", new Date(0), "STORE_VALUE"],
  ["a class instance", new (class Point {})(), "STORE_VALUE"],
  ["an ArrayBuffer", new ArrayBuffer(4), "STORE_VALUE"],
  ["a cycle", cycle(), "STORE_VALUE"],
  ["undefined in an array", [1, undefined], "STORE_VALUE"],
  ["a function in an object", { f: () => 1 }, "STORE_VALUE"],
  ["a Map deep inside", { a: [{ b: new Map() }] }, "STORE_VALUE"],
  ["3 MB of text", "x".repeat(3_000_000), "STORE_VALUE_TOO_LARGE"],
  ["2 MB of bytes", new Uint8Array(2_000_000), "STORE_VALUE_TOO_LARGE"],
  ["3 MB of text in a field", { id: 1, text: "x".repeat(3_000_000) }, "STORE_VALUE_TOO_LARGE"],
  ["a million two-byte characters in a field", { text: "€".repeat(1_000_000), ok: true }, "STORE_VALUE_TOO_LARGE"],
  ["a symbol in a field", { id: 1, s: Symbol("v") }, "STORE_VALUE"],
];
for (const [input, value, code] of badValues) {
  row("store.put", `value: ${input}`, code, (o) => o.store.put(["v"], value));
  row("store.batch tx.put", `value: ${input}`, code, (o) => o.store.batch((tx) => tx.put(["v"], value)));
}

const badIndexKeys: [string, unknown, DurableCoreErrorCode][] = [
  ["NaN", Number.NaN, "KEY_TYPE"],
  ["an object", { a: 1 }, "KEY_TYPE"],
  ["an empty tuple", [], "KEY_TYPE"],
  ["a lone surrogate", "\udfff", "KEY_TYPE"],
  ["a boolean in an empty tuple", [true, []], "KEY_TYPE"],
  ["3,000 characters", "e".repeat(3000), "KEY_TOO_LARGE"],
];
for (const [input, email, code] of badIndexKeys) {
  row("static indexes key()", `returns ${input}`, code, (o) => o.store.put(["u", "bad"], { email }));
  row("static indexes key() (prefix-scoped)", `returns ${input}`, code, (o) => o.store.put(["sub", "bad"], { email }));
}
row("static indexes key()", "throws (a null value)", "INDEX_KEY_FUNCTION", (o) => o.store.put(["u", "null"], null));
row("static indexes key()", "throws inside a batch", "INDEX_KEY_FUNCTION", (o) =>
  o.store.batch((tx) => {
    tx.put(["u", "first"], { email: "first@x" });
    tx.put(["u", "null"], null);
  }),
);
row("store.put", "a unique index key another entry holds", "INDEX_UNIQUE", (o) => o.store.put(["u", "other"], { email: "taken@x" }));
row("store.batch", "two entries with one unique key", "INDEX_UNIQUE", (o) =>
  o.store.batch((tx) => {
    tx.put(["u", "a"], { email: "dup@x" });
    tx.put(["u", "b"], { email: "dup@x" });
  }),
);
for (const name of ["nope", "", "toString", "__proto__"]) {
  row("store.index", `unknown name ${JSON.stringify(name)}`, "INDEX_UNKNOWN", (o) => o.store.index(name));
}
row("store.index", "a number", "INDEX_UNKNOWN", (o) => o.store.index(5 as never));

const badRanges: [string, unknown, DurableCoreErrorCode][] = [
  ["a string", "u", "ARGUMENT"],
  ["a number", 5, "ARGUMENT"],
  ["null", null, "ARGUMENT"],
  ["an array", ["u"], "ARGUMENT"],
  ["limit -1", { limit: -1 }, "ARGUMENT"],
  ["limit 1.5", { limit: 1.5 }, "ARGUMENT"],
  ["limit NaN", { limit: Number.NaN }, "ARGUMENT"],
  ["limit as text", { limit: "2" }, "ARGUMENT"],
];
const rangeOps: [string, (o: CorpusBox, range: any) => unknown][] = [
  ["store.list", (o, r) => o.store.list(r)],
  ["store.entries", (o, r) => [...o.store.entries(r)]],
  ["store.count", (o, r) => o.store.count(r)],
  ["store.deleteRange", (o, r) => o.store.deleteRange(r)],
  ["index.list", (o, r) => o.store.index("byEmail").list(r)],
  ["index.count", (o, r) => o.store.index("byEmail").count(r)],
];
for (const [op, run] of rangeOps) {
  for (const [input, range, code] of badRanges) row(op, `range: ${input}`, code, (o) => run(o, range));
}
for (const [input, keys] of [["a string", "u"], ["null", null], ["a number", 3]] as const) {
  row("store.getMany", `keys: ${input}`, "KEY_TYPE", (o) => o.store.getMany(keys as never));
}
row("store.batch", "not a function", "ARGUMENT", (o) => o.store.batch(5 as never));
row("store.batch", "an async function", "TRANSACTION_ASYNC", (o) => o.store.batch((async () => undefined) as never));
row("store.batch", "returns a promise", "TRANSACTION_ASYNC", (o) =>
  o.store.batch((tx) => {
    tx.put(["u", "late"], { email: "late@x" });
    return Promise.resolve();
  }),
);
row("store.batch", "returns a thenable", "TRANSACTION_ASYNC", (o) => o.store.batch(() => ({ then() {} })));
row("store.batch", "an async batch nested in a batch", "TRANSACTION_ASYNC", (o) =>
  o.store.batch(() => o.store.batch((async () => undefined) as never)),
);

// ---- this.sql and sql -------------------------------------------------------------------------

const badBindings: [string, unknown][] = [
  ["undefined", undefined],
  ["a plain object", { a: 1 }],
  ["an array", [1, 2]],
  ["a function", () => 1],
  ["a symbol", Symbol("s")],
  ["a bigint beyond 2^53", 2n ** 60n],
  ["a negative bigint beyond 2^53", -(2n ** 60n)],
  ["an invalid Date", new Date(Number.NaN)],
  ["a Map", new Map()],
];
row("sql.in", "item a sql helper", "SQL_BIND", (o) => o.sql.all`SELECT * FROM items WHERE id IN ${sql.in([1, sql.id("x")])}`);
for (const [input, value] of badBindings) {
  row("this.sql.all", `binding ${input}`, "SQL_BIND", (o) => o.sql.all`SELECT ${value} AS v`);
  row("this.sql.run", `binding ${input}`, "SQL_BIND", (o) => o.sql.run`INSERT INTO items (id, name) VALUES (9, ${value})`);
  row("sql.in", `item ${input}`, "SQL_BIND", (o) => o.sql.all`SELECT * FROM items WHERE id IN ${sql.in([1, value])}`);
}
row("this.sql.one", "binding undefined inside a fragment", "SQL_BIND", (o) => o.sql.one`SELECT 1 WHERE ${sql`${undefined} IS NULL`}`);
row("sql.in", "not an array", "SQL_BIND", () => sql.in(5 as never));
row("sql.in", "a Set", "SQL_BIND", () => sql.in(new Set([1]) as never));
row("sql.in", "101 blobs", "SQL_BIND", (o) => o.sql.all`SELECT * FROM items WHERE id IN ${sql.in(Array.from({ length: 101 }, () => new Uint8Array(1)))}`);
for (const [input, value] of [["undefined", undefined], ["a function", () => 1], ["a cycle", cycle()], ["a bigint", 1n]] as const) {
  row("sql.json", input, "SQL_BIND", (o) => o.sql.run`INSERT INTO items (id, name) VALUES (9, ${sql.json(value)})`);
}
row("sql.join", "not an array", "SQL_BIND", () => sql.join("a, b" as never));
for (const [input, separator] of [["a number", 5], ["sql.raw", sql.raw(",")], ["an object", {}], ["null", null], ["an array", [","]]] as const) {
  row("sql.join", `separator ${input}`, "SQL_BIND", () => sql.join([1, 2], separator as never));
}
row("this.sql.all", "101 bound parameters", "SQL_BIND", (o) => o.sql.all`SELECT ${sql.join(Array.from({ length: 101 }, (_, i) => i))}`);

const badTexts: [string, string][] = [
  ["its own ?", "SELECT ? AS v"],
  ["its own ?1", "SELECT ?1 AS v"],
  ["its own :name", "SELECT :name AS v"],
  ["its own @name", "SELECT @name AS v"],
  ["its own $name", "SELECT $name AS v"],
  ["its own #name", "SELECT #name AS v"],
  ["its own $a::b", "SELECT $a::b AS v"],
  ["its own $a(b)", "SELECT $a(b) AS v"],
  ["#name in a WHERE", "SELECT * FROM items WHERE id = #id"],
];
for (const [input, text] of badTexts) {
  row("this.sql.all", `text with ${input}`, "SQL_TEMPLATE", (o) => o.sql.all(Object.assign([text], { raw: [text] }) as never));
  row("sql`...`", `fragment with ${input}`, "SQL_TEMPLATE", (o) => o.sql.all`SELECT * FROM (${sql(Object.assign([text], { raw: [text] }) as never)})`);
}
row("this.sql.all", "a value inside a string literal", "SQL_TEMPLATE", (o) => o.sql.all`SELECT * FROM items WHERE name = '${"one"}'`);
row("this.sql.all", "a value inside a quoted identifier", "SQL_TEMPLATE", (o) => o.sql.all`SELECT "${"name"}" FROM items`);
row("this.sql.all", "a value inside a bracketed identifier", "SQL_TEMPLATE", (o) => o.sql.all`SELECT [${"name"}] FROM items`);
row("this.sql.all", "a value inside a line comment", "SQL_TEMPLATE", (o) => o.sql.all`SELECT 1 -- ${1}
`);
row("this.sql.all", "a value inside a block comment", "SQL_TEMPLATE", (o) => o.sql.all`SELECT 1 /* ${1} */`);
row("this.sql.all", "a value inside a blob literal", "SQL_TEMPLATE", (o) => o.sql.all`SELECT x'${"00"}'`);
row("this.sql.all", "a value followed by digits", "SQL_TEMPLATE", (o) => o.sql.all`SELECT ${1}2 AS v`);
row("this.sql.all", "a value followed by :name", "SQL_TEMPLATE", (o) => o.sql.all`SELECT ${1}:a AS v`);
row("this.sql.run", "a value in an earlier statement", "SQL_TEMPLATE", (o) => o.sql.run`UPDATE items SET name = ${"x"}; SELECT 1`);
row("this.sql.all", "sql.raw opening a literal", "SQL_TEMPLATE", (o) => o.sql.all`SELECT ${sql.raw("'")}${1}'`);
row("this.sql.all", "sql.id inside a literal", "SQL_TEMPLATE", (o) => o.sql.all`SELECT '${sql.id("name")}'`);
row("this.sql.all", "fragments nested 101 deep", "SQL_TEMPLATE", (o) => {
  let where = sql`1`;
  for (let i = 0; i < 101; i++) where = sql`${where}`;
  return o.sql.all`SELECT ${where}`;
});
row("this.sql.all", "fragments nested 10,000 deep", "SQL_TEMPLATE", (o) => {
  let where = sql`id > ${0}`;
  for (let i = 0; i < 10_000; i++) where = sql`${where} AND id > ${0}`;
  return o.sql.all`SELECT * FROM items WHERE ${where}`;
});
row("this.sql.all", "sql.join nested 10,000 deep", "SQL_TEMPLATE", (o) => {
  let part = sql`1`;
  for (let i = 0; i < 10_000; i++) part = sql`${sql.join([part])}`;
  return o.sql.all`SELECT ${part}`;
});
row("this.sql.all", "200 KB of sql.raw", "SQL_TEMPLATE", (o) => o.sql.all`SELECT 1 ${sql.raw(" ".repeat(200_000))}`);
row("this.sql.all", "a 200 KB template string", "SQL_TEMPLATE", (o) => {
  const text = `SELECT 1${" ".repeat(200_000)}`;
  return o.sql.all(Object.assign([text], { raw: [text] }) as never);
});
row("this.sql.all", "called with a string, not as a tag", "SQL_TEMPLATE", (o) => o.sql.all("SELECT 1" as never));
row("this.sql.one", "called with a number", "SQL_TEMPLATE", (o) => o.sql.one(5 as never));
row("this.sql.first", "called with null", "SQL_TEMPLATE", (o) => o.sql.first(null as never));
row("this.sql.run", "strings that are not strings", "SQL_TEMPLATE", (o) => o.sql.run([1, 2] as never, 3));
row("this.sql.all", "one string too many", "SQL_TEMPLATE", (o) => o.sql.all(Object.assign(["SELECT 1", ""], { raw: ["SELECT 1", ""] }) as never));

for (const [input, name] of [
  ["empty", ""],
  ["with NUL", "a\u0000b"],
  ["256 characters", "n".repeat(256)],
  ["300 bytes of 2-byte characters", "é".repeat(150)],
  ["a number", 5],
  ["null", null],
  ["an object", { name: "x" }],
] as const) {
  row("sql.id", input, "SQL_IDENTIFIER", (o) => o.sql.all`SELECT ${sql.id(name as never)} FROM items`);
}

const forbidden = [
  "BEGIN",
  "BEGIN TRANSACTION",
  "COMMIT",
  "END",
  "ROLLBACK",
  "SAVEPOINT s",
  "RELEASE s",
  "ATTACH 'x.db' AS x",
  "DETACH x",
  "INSERT INTO _dc_tasks (id) VALUES ('x')",
  "DELETE FROM _dc_migrations",
  "UPDATE _dc_store_indexes SET state = 'ready'",
  "UPDATE OR REPLACE _dc_store_index SET index_key = 'x'",
  "DROP TABLE _dc_store_index",
  "CREATE TABLE _dc_mine (a)",
  "CREATE TABLE IF NOT EXISTS _DC_mine (a)",
  "ALTER TABLE items RENAME TO _dc_items",
  "CREATE INDEX i ON _dc_tasks (due)",
  "CREATE TRIGGER t AFTER INSERT ON items BEGIN DELETE FROM _dc_tasks; END",
  "WITH x AS (SELECT 1) INSERT INTO _dc_tasks (id) SELECT 1 FROM x",
  "DELETE FROM main._dc_tasks",
  'DELETE FROM "_dc_tasks"',
  "UPDATE _cf_KV SET value = 1",
  "SELECT 1; DELETE FROM _dc_migrations",
];
for (const text of forbidden) {
  row("this.sql.run", text, "SQL_FORBIDDEN", (o) => o.sql.run(Object.assign([text], { raw: [text] }) as never));
}
row("this.sql.run", "a forbidden statement in a fragment", "SQL_FORBIDDEN", (o) => o.sql.run`${sql`DELETE FROM _dc_tasks`}`);
row("this.sql.run", "a forbidden statement through sql.raw", "SQL_FORBIDDEN", (o) => o.sql.run`${sql.raw("BEGIN")}`);

const failing = [
  "SELECT * FROM missing_table",
  "SELEC 1",
  "INSERT INTO items (id, name) VALUES (1, 'duplicate id')",
  "INSERT INTO items (id, name) VALUES (3, NULL)",
  "SELECT nope FROM items",
  "SELECT abs(1, 2)",
];
for (const text of failing) {
  row("this.sql.all", text, "SQL_ERROR", (o) => o.sql.all(Object.assign([text], { raw: [text] }) as never));
}
row("this.sql.transaction", "a failing statement after a write", "SQL_ERROR", (o) =>
  o.sql.transaction(() => {
    o.sql.run`INSERT INTO items (id, name) VALUES (10, 'rolled back')`;
    o.sql.run`INSERT INTO items (id, name) VALUES (10, 'duplicate')`;
  }),
);
row("this.sql.transaction", "a store write then a bad key", "KEY_TYPE", (o) =>
  o.sql.transaction(() => {
    o.store.put(["u", "tx"], { email: "tx@x" });
    o.store.put([Number.NaN], 1);
  }),
);
row("this.sql.transaction", "an async function", "TRANSACTION_ASYNC", (o) => o.sql.transaction((async () => undefined) as never));
row("this.sql.transaction", "returns a promise after a write", "TRANSACTION_ASYNC", (o) =>
  o.sql.transaction(() => {
    o.sql.run`INSERT INTO items (id, name) VALUES (11, 'rolled back')`;
    return Promise.resolve();
  }),
);
row("this.sql.one", "no row", "SQL_NOT_ONE", (o) => o.sql.one`SELECT * FROM items WHERE id = ${99}`);
row("this.sql.one", "two rows", "SQL_NOT_ONE", (o) => o.sql.one`SELECT * FROM items`);

// ---- this.scheduler ---------------------------------------------------------------------------

const now = 1_900_000_000_000;
const badSchedules: [string, DurableCoreErrorCode, (o: CorpusBox) => unknown][] = [
  ["at NaN", "TASK_SCHEDULE", (o) => o.scheduler.at(Number.NaN, "task")],
  ["at Infinity", "TASK_SCHEDULE", (o) => o.scheduler.at(Number.POSITIVE_INFINITY, "task")],
  ["at an invalid Date", "TASK_SCHEDULE", (o) => o.scheduler.at(new Date(Number.NaN), "task")],
  ["at a string", "TASK_SCHEDULE", (o) => o.scheduler.at("soon" as never, "task")],
  ["after -1", "TASK_SCHEDULE", (o) => o.scheduler.after(-1, "task")],
  ["after NaN", "TASK_SCHEDULE", (o) => o.scheduler.after(Number.NaN, "task")],
  ["after null", "TASK_SCHEDULE", (o) => o.scheduler.after(null as never, "task")],
  ["every 0", "TASK_SCHEDULE", (o) => o.scheduler.every(0, "task")],
  ["every -5", "TASK_SCHEDULE", (o) => o.scheduler.every(-5, "task")],
  ["every Infinity", "TASK_SCHEDULE", (o) => o.scheduler.every(Number.POSITIVE_INFINITY, "task")],
  ["cron garbage", "CRON_INVALID", (o) => o.scheduler.cron("not a cron", "task")],
  ["cron with 4 fields", "CRON_INVALID", (o) => o.scheduler.cron("* * * *", "task")],
  ["cron minute 61", "CRON_INVALID", (o) => o.scheduler.cron("61 * * * *", "task")],
  ["cron that never occurs", "CRON_INVALID", (o) => o.scheduler.cron("0 0 30 2 *", "task")],
  ["cron a number", "CRON_INVALID", (o) => o.scheduler.cron(5 as never, "task")],
  ["cron an unknown time zone", "CRON_TIMEZONE", (o) => o.scheduler.cron("0 9 * * *", "task", undefined, { timezone: "Mars/Olympus" })],
  ["a method that does not exist", "TASK_METHOD", (o) => o.scheduler.at(now, "nope" as never)],
  ["a method name that is a number", "TASK_METHOD", (o) => o.scheduler.after(10, 5 as never)],
  ["a method name that is a field", "TASK_METHOD", (o) => o.scheduler.after(10, "env" as never)],
  ["a function payload", "TASK_PAYLOAD", (o) => o.scheduler.at(now, "task", () => 1)],
  ["a cyclic payload", "TASK_PAYLOAD", (o) => o.scheduler.at(now, "task", cycle())],
  ["a bigint payload", "TASK_PAYLOAD", (o) => o.scheduler.at(now, "task", 1n)],
  ["a symbol payload", "TASK_PAYLOAD", (o) => o.scheduler.at(now, "task", Symbol("p"))],
  ["retry attempts 0", "TASK_SCHEDULE", (o) => o.scheduler.at(now, "task", undefined, { retry: { attempts: 0 } })],
  ["retry attempts -1", "TASK_SCHEDULE", (o) => o.scheduler.at(now, "task", undefined, { retry: { attempts: -1 } })],
  ["retry backoffMs -1", "TASK_SCHEDULE", (o) => o.scheduler.at(now, "task", undefined, { retry: { backoffMs: -1 } })],
  ["retry maxBackoffMs NaN", "TASK_SCHEDULE", (o) => o.scheduler.at(now, "task", undefined, { retry: { maxBackoffMs: Number.NaN } })],
  ["an empty id", "TASK_SCHEDULE", (o) => o.scheduler.at(now, "task", undefined, { id: "" })],
  ...(["alarm", "fetch", "constructor", "webSocketMessage", "webSocketClose", "webSocketError", "onConnect", "onStart"] as const).map(
    (method): [string, DurableCoreErrorCode, (o: CorpusBox) => unknown] => [`the lifecycle method ${method}`, "TASK_METHOD", (o) => o.scheduler.after(0, method as never)],
  ),
  ["a cron on a lifecycle method", "TASK_METHOD", (o) => o.scheduler.cron("0 9 * * *", "alarm" as never)],
  ["a function inside a payload", "TASK_PAYLOAD", (o) => o.scheduler.at(now, "task", { f() {} })],
  ["a 3 MB payload", "TASK_PAYLOAD", (o) => o.scheduler.at(now, "task", "p".repeat(3 * 2 ** 20))],
  ["a 30 MB payload", "TASK_PAYLOAD", (o) => o.scheduler.at(now, "task", { text: "p".repeat(30 * 2 ** 20) })],
  ["a 30 MB id", "TASK_SCHEDULE", (o) => o.scheduler.at(now, "task", undefined, { id: "i".repeat(30 * 2 ** 20) })],
  ["a 600-byte id", "TASK_SCHEDULE", (o) => o.scheduler.at(now, "task", undefined, { id: "i".repeat(600) })],
  ["an id with a lone surrogate", "TASK_SCHEDULE", (o) => o.scheduler.at(now, "task", undefined, { id: "a\ud800" })],
  ["a 30 MB id to cancel", "TASK_SCHEDULE", (o) => o.scheduler.cancel("i".repeat(30 * 2 ** 20))],
];
for (const [input, code, run] of badSchedules) row("this.scheduler", input, code, run);

// ---- this.sockets and Connection --------------------------------------------------------------

const badTopics: [string, unknown][] = [
  ["empty", ""],
  ["an empty segment", "a//b"],
  ["a leading slash", "/a"],
  ["a trailing slash", "a/"],
  ["a star inside a segment", "a*"],
  ["** not last", "**/a"],
  ["*** ", "a/***"],
  ["257 bytes", "t".repeat(257)],
  ["200 characters of 2-byte text", "é".repeat(200)],
  ["a number", 5],
  ["null", null],
  ["an object", { topic: "a" }],
];
for (const [input, topic] of badTopics) {
  row("this.sockets.publish", `topic ${input}`, "TOPIC_INVALID", (o) => o.sockets.publish(topic as never, "m"));
  row("this.sockets.presence", `topic ${input}`, "TOPIC_INVALID", (o) => o.sockets.presence(topic as never));
  row("this.sockets.count", `topic ${input}`, "TOPIC_INVALID", (o) => o.sockets.count(topic as never));
  row("this.sockets.connections", `topic ${input}`, "TOPIC_INVALID", (o) => o.sockets.connections(topic as never));
  row("Connection.subscribe", `topic ${input}`, "TOPIC_INVALID", (_, c) => c.subscribe(topic as never));
  row("Connection.unsubscribe", `topic ${input}`, "TOPIC_INVALID", (_, c) => c.unsubscribe(topic as never));
}
for (const topic of ["a/*", "a/**", "*"]) {
  row("this.sockets.publish", `a wildcard ${topic}`, "TOPIC_INVALID", (o) => o.sockets.publish(topic, "m"));
  row("this.sockets.presence", `a pattern ${topic}`, "PRESENCE_ON_PATTERN", (o) => o.sockets.presence(topic));
  row("Connection.subscribe", `presence on ${topic}`, "PRESENCE_ON_PATTERN", (_, c) => c.subscribe(topic, { presence: true }));
}
for (const [input, message] of [["a cycle", cycle()], ["a bigint", 1n], ["a bigint inside", { n: 1n }]] as const) {
  row("this.sockets.publish", `message ${input}`, "MESSAGE_INVALID", (o) => o.sockets.publish("room/a", message as never));
  row("this.sockets.broadcast", `message ${input}`, "MESSAGE_INVALID", (o) => o.sockets.broadcast(message as never));
  row("Connection.send", `message ${input}`, "MESSAGE_INVALID", (_, c) => c.send(message as never));
}
class Player {
  name = "p";
}
const badStates: [string, unknown][] = [
  ["a cycle", cycle()],
  ["a bigint", 1n],
  ["a bigint inside", { n: 2n }],
  ["a Map", new Map([["a", 1]])],
  ["a Set", new Set([1])],
  ["a Date", new Date(0)],
  ["a Date inside", { at: new Date(0) }],
  ["a class instance", new Player()],
  ["a function inside", { f() {} }],
  ["NaN", { n: Number.NaN }],
  ["a typed array", new Uint8Array(2)],
];
for (const [input, state] of badStates) {
  row("Connection.setState", input, "STATE_INVALID", (_, c) => c.setState(state));
}
row("Connection.setState", "over attachmentBytes", "ATTACHMENT_TOO_LARGE", (_, c) => c.setState({ text: "s".repeat(5000) }));
// The warm-up leaves the connection with a 3,800-byte state: one long topic more is too much.
row("Connection.subscribe", "a topic past attachmentBytes", "ATTACHMENT_TOO_LARGE", (_, c) => c.subscribe(`t/${"u".repeat(250)}`));

// ---- the corpus -------------------------------------------------------------------------------

describe("the bad-input corpus", () => {
  it(`has at least 300 rows (${rows.length})`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(300);
  });

  it("refuses every row with its code, changes no storage, never resets the engine, and grows wasm memory by under 1 MB", async () => {
    const stub = env.CORPUS_BOX.getByName("corpus");
    const client = await connect(stub, "https://corpus/ws");
    const failures: string[] = [];
    await runInDurableObject(stub, async (o: CorpusBox) => {
      // Warm every capability, so that memory can only grow by what the rows copy in.
      o.store.put(["seed"], { email: "taken@x" });
      o.store.put(["sub", "seed"], { email: "sub@x" });
      o.store.index("byEmail").get("taken@x");
      o.scheduler.at(now, "task", { seeded: true }, { id: "seeded" });
      o.sql.all`SELECT * FROM items`;
      o.sockets.publish("room/a", "warm");
      await o.store.ready();
      const conn = o.sockets.connections()[0]!;
      conn.setState({ text: "s".repeat(3800) });
      const generation = engineStats().generation;
      const memoryBefore = engineStats().memoryBytes;
      for (const { api, input, code, run } of rows) {
        const label = `${api} — ${input}`;
        const before = await o.snapshot();
        let thrown: unknown;
        try {
          run(o, conn);
        } catch (error) {
          thrown = error;
        }
        const after = await o.snapshot();
        if (!(thrown instanceof DurableCoreError)) {
          failures.push(`${label}: expected ${code}, got ${thrown === undefined ? "no error" : String(thrown)}`);
        } else if (thrown.code !== code) {
          failures.push(`${label}: expected ${code}, got ${thrown.code} (${thrown.message})`);
        }
        try {
          expect(after).toEqual(before);
        } catch {
          failures.push(`${label}: storage changed`);
        }
        // A row that fails after a partial change must not leave it for the next row.
        if (engineStats().generation !== generation) failures.push(`${label}: the engine was reset`);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      const grown = engineStats().memoryBytes - memoryBefore;
      if (grown >= 2 ** 20) failures.push(`wasm memory grew by ${grown} bytes across the corpus`);
      expect(engineStats().generation).toBe(generation);
    });
    client.close();
    expect(failures).toEqual([]);
  });
});

// ---- static options and migrations: each row wakes the object with a bad class setting --------

type Statics = Pick<typeof CorpusStatics, "migrations" | "indexes" | "sockets">;
const good: Statics = { migrations: CorpusStatics.migrations, indexes: CorpusStatics.indexes, sockets: CorpusStatics.sockets };

const staticRows: { input: string; code: DurableCoreErrorCode; statics: Partial<Statics> }[] = [
  { input: "migrations: a number entry", code: "MIGRATION_INVALID", statics: { migrations: [good.migrations[0]!, 5 as never] } },
  { input: "migrations: { sql: 5 }", code: "MIGRATION_INVALID", statics: { migrations: [good.migrations[0]!, { sql: 5 } as never] } },
  { input: "migrations: null entry", code: "MIGRATION_INVALID", statics: { migrations: [good.migrations[0]!, null as never] } },
  { input: "migrations: an applied one edited", code: "MIGRATION_CHANGED", statics: { migrations: ["CREATE TABLE notes (text TEXT, more TEXT)"] } },
  { input: "migrations: an applied one removed", code: "MIGRATION_MISSING", statics: { migrations: [] } },
  { input: "migrations: BEGIN", code: "MIGRATION_FAILED", statics: { migrations: [good.migrations[0]!, "BEGIN"] } },
  { input: "migrations: a write to _dc_*", code: "MIGRATION_FAILED", statics: { migrations: [good.migrations[0]!, "DELETE FROM _dc_migrations"] } },
  { input: "migrations: bad SQL", code: "MIGRATION_FAILED", statics: { migrations: [good.migrations[0]!, "CREATE TABLE broken ("] } },
  { input: "migrations: half good, half failing", code: "MIGRATION_FAILED", statics: { migrations: [good.migrations[0]!, "CREATE TABLE fine (a); INSERT INTO missing VALUES (1)"] } },
  { input: "indexes: no key function", code: "INDEX_DEFINITION", statics: { indexes: { x: {} as never } } },
  { input: "indexes: key is text", code: "INDEX_DEFINITION", statics: { indexes: { x: { key: "email" } as never } } },
  { input: "indexes: null definition", code: "INDEX_DEFINITION", statics: { indexes: { x: null as never } } },
  { input: "indexes: prefix NaN", code: "INDEX_DEFINITION", statics: { indexes: { x: { key: () => 1, prefix: Number.NaN } } } },
  { input: "indexes: prefix an empty tuple", code: "INDEX_DEFINITION", statics: { indexes: { x: { key: () => 1, prefix: [] } } } },
  { input: "indexes: prefix of 5,000 characters", code: "INDEX_DEFINITION", statics: { indexes: { x: { key: () => 1, prefix: "p".repeat(5000) } } } },
  { input: "indexes: version an object", code: "INDEX_DEFINITION", statics: { indexes: { x: { key: () => 1, version: {} as never } } } },
  { input: "indexes: unique as text", code: "INDEX_DEFINITION", statics: { indexes: { x: { key: () => 1, unique: "yes" as never } } } },
  { input: "indexes: not an object", code: "INDEX_DEFINITION", statics: { indexes: 5 as never } },
  { input: "sockets: maxMessageBytes 0", code: "SOCKETS_OPTIONS_INVALID", statics: { sockets: { maxMessageBytes: 0 } } },
  { input: "sockets: maxMessageBytes -1", code: "SOCKETS_OPTIONS_INVALID", statics: { sockets: { maxMessageBytes: -1 } } },
  { input: "sockets: maxMessageBytes text", code: "SOCKETS_OPTIONS_INVALID", statics: { sockets: { maxMessageBytes: "1" as never } } },
  { input: "sockets: attachmentBytes 0", code: "SOCKETS_OPTIONS_INVALID", statics: { sockets: { attachmentBytes: 0 } } },
  { input: "sockets: rateLimit messages 0", code: "SOCKETS_OPTIONS_INVALID", statics: { sockets: { rateLimit: { messages: 0, perMs: 1000 } } } },
  { input: "sockets: rateLimit perMs 1.5", code: "SOCKETS_OPTIONS_INVALID", statics: { sockets: { rateLimit: { messages: 1, perMs: 1.5 } } } },
  { input: "sockets: rateLimit missing perMs", code: "SOCKETS_OPTIONS_INVALID", statics: { sockets: { rateLimit: { messages: 1 } as never } } },
  { input: "sockets: autoResponse one string", code: "SOCKETS_OPTIONS_INVALID", statics: { sockets: { autoResponse: ["ping"] as never } } },
  { input: "sockets: autoResponse numbers", code: "SOCKETS_OPTIONS_INVALID", statics: { sockets: { autoResponse: [1, 2] as never } } },
];

describe("bad static options and migrations", () => {
  it(`refuse the object with their code and leave its storage as it was (${staticRows.length} rows)`, async () => {
    const failures: string[] = [];
    for (const [index, { input, code, statics }] of staticRows.entries()) {
      Object.assign(CorpusStatics, good);
      const stub = env.CORPUS_STATICS.getByName(`statics-${index}`);
      const before = await runInDurableObject(stub, (o: CorpusStatics) => {
        o.probe();
        return o.snapshot();
      });
      Object.assign(CorpusStatics, good, statics);
      await evictDurableObject(stub);
      await runInDurableObject(stub, async (o: CorpusStatics) => {
        try {
          o.probe();
          failures.push(`${input}: expected ${code}, got no error`);
        } catch (error) {
          if (!(error instanceof DurableCoreError) || error.code !== code) {
            failures.push(`${input}: expected ${code}, got ${error instanceof DurableCoreError ? error.code : String(error)}`);
          }
        }
        try {
          expect(await o.snapshot()).toEqual(before);
        } catch {
          failures.push(`${input}: storage changed`);
        }
      });
    }
    Object.assign(CorpusStatics, good);
    expect(failures).toEqual([]);
  });
});
