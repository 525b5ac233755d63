// Issue 12, the input half: oversized input refused before it reaches the shared engine, SQL
// templates that cannot trap or smuggle parameters, `sql.join` separators, dates as integers,
// index versions, key-function errors, prefix-scoped indexes and one code per mistake.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { DurableCoreError, ERROR_CODES, engineStats, sql, type IndexDefinitions } from "durable-core";
import { connect } from "durable-core/testing";
import { describe, expect, it } from "vitest";
import type { CorpusBox, IndexEvolving } from "./fixtures/corpus.js";

function thrownBy(fn: () => unknown): DurableCoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DurableCoreError);
    return error as DurableCoreError;
  }
  throw new Error("expected a DurableCoreError");
}

const MB = 2 ** 20;

describe("oversized input never reaches the engine", () => {
  it("a 30 MB key, index key, range bound, topic or identifier leaves wasm memory as it was", async () => {
    const stub = env.CORPUS_BOX.getByName("oversized");
    await connect(stub, "https://corpus/ws");
    await runInDurableObject(stub, (o: CorpusBox) => {
      // Warm every path once, so that what follows can only grow memory by copying input.
      o.store.put(["k", "warm"], { email: "warm@x" });
      o.store.get(["k", "warm"]);
      o.store.index("byEmail").get("warm@x");
      o.sockets.publish("room/a", "warm");
      o.sql.all`SELECT ${sql.id("name")} FROM items`;
      const huge = "x".repeat(30 * MB);
      const before = engineStats().memoryBytes;
      const refusals: [string, () => unknown][] = [
        ["KEY_TOO_LARGE", () => o.store.get(["k", huge])],
        ["KEY_TOO_LARGE", () => o.store.has(huge)],
        ["KEY_TOO_LARGE", () => o.store.put(["k", huge], 1)],
        ["KEY_TOO_LARGE", () => o.store.delete(["k", [huge]])],
        ["KEY_TOO_LARGE", () => o.store.getMany([["k", huge]])],
        ["KEY_TOO_LARGE", () => o.store.list({ prefix: ["k", huge] })],
        ["KEY_TOO_LARGE", () => o.store.count({ start: huge })],
        ["KEY_TOO_LARGE", () => o.store.deleteRange({ end: [huge] })],
        ["KEY_TOO_LARGE", () => o.store.index("byEmail").get(huge)],
        ["KEY_TOO_LARGE", () => o.store.index("byEmail").count({ prefix: huge })],
        ["KEY_TOO_LARGE", () => o.store.put(["k", "v"], { email: huge.slice(0, MB) })],
        ["KEY_TOO_LARGE", () => o.store.get([new Uint8Array(16 * MB)])],
        ["KEY_TOO_LARGE", () => o.store.get([2n ** 100_000n])],
        ["KEY_TOO_LARGE", () => o.store.get(new Array(10 * MB).fill(null))],
        ["TOPIC_INVALID", () => o.sockets.publish(huge, "m")],
        ["TOPIC_INVALID", () => o.sockets.presence(huge)],
        ["TOPIC_INVALID", () => o.sockets.count(huge)],
        ["TOPIC_INVALID", () => o.sockets.connections(huge)],
        ["TOPIC_INVALID", () => o.sockets.connections()[0]!.subscribe(huge)],
        ["TOPIC_INVALID", () => o.sockets.connections()[0]!.unsubscribe(huge)],
        ["SQL_IDENTIFIER", () => o.sql.all`SELECT ${sql.id(huge)} FROM items`],
        ["SQL_TEMPLATE", () => o.sql.all`SELECT ${sql.raw(huge)} FROM items`],
        ["SQL_TEMPLATE", () => o.sql.all`SELECT ${sql.join([1, 2], huge)}`],
      ];
      for (const [code, refusal] of refusals) expect(thrownBy(refusal).code, refusal.toString()).toBe(code);
      expect(engineStats().memoryBytes - before).toBeLessThan(MB);
      expect(o.store.get(["k", "warm"])).toEqual({ email: "warm@x" });
    });
  });
});

describe("SQL templates", () => {
  it("fragments nested 10,000 deep are SQL_TEMPLATE, never a trap, and the engine is not reset", async () => {
    await runInDurableObject(env.CORPUS_BOX.getByName("deep"), (o: CorpusBox) => {
      const resets = engineStats().generation;
      let where = sql`id > ${0}`;
      for (let i = 0; i < 10_000; i++) where = sql`${where} AND id > ${0}`;
      const error = thrownBy(() => o.sql.all`SELECT * FROM items WHERE ${where}`);
      expect(error.code).toBe("SQL_TEMPLATE");
      expect(error.message).toContain("sql.join");
      // The same through a join nested in joins.
      let joined = sql`1`;
      for (let i = 0; i < 10_000; i++) joined = sql`${sql.join([joined, 1])}`;
      expect(thrownBy(() => o.sql.all`SELECT ${joined}`).code).toBe("SQL_TEMPLATE");
      expect(engineStats().generation).toBe(resets);
      // 100 levels still compile (SQLite's own expression depth is 100 too: these add none), and
      // the way the message suggests works at any length.
      let fine = sql`id > ${0}`;
      for (let i = 1; i < 100; i++) fine = sql`${fine}`;
      expect(o.sql.all`SELECT id FROM items WHERE ${fine} ORDER BY id`).toEqual([{ id: 1 }, { id: 2 }]);
      expect(thrownBy(() => o.sql.all`SELECT id FROM items WHERE ${sql`${fine}`}`).code).toBe("SQL_TEMPLATE");
      const literals = Array.from({ length: 5_000 }, (_, i) => sql`${sql.raw(String(i))}`);
      expect(o.sql.all`SELECT id FROM items WHERE id IN (${sql.join(literals)}) ORDER BY id`.length).toBe(2);
    });
  });

  it("SQLite's own parameters in the text are SQL_TEMPLATE, in every style; inside literals and comments they are text", async () => {
    await runInDurableObject(env.CORPUS_BOX.getByName("params"), (o: CorpusBox) => {
      for (const text of ["#a", "?1", ":a", "@a", "$a", "$a::b", "$a(b)"]) {
        const error = thrownBy(() => o.sql.all(Object.assign([`SELECT ${text}`], { raw: [`SELECT ${text}`] })));
        expect(error.code, text).toBe("SQL_TEMPLATE");
      }
      expect(thrownBy(() => o.sql.one`SELECT ${1} + #a AS n`).code).toBe("SQL_TEMPLATE");
      expect(o.sql.one`SELECT '#a :b ?1' AS t /* #c */ -- @d`).toEqual({ t: "#a :b ?1" });
      expect(o.sql.one`SELECT ${"x"} AS "#n"`).toEqual({ "#n": "x" });
    });
  });

  it("sql.join takes a fragment separator with its own values; any other non-string is SQL_BIND", async () => {
    await runInDurableObject(env.CORPUS_BOX.getByName("join"), (o: CorpusBox) => {
      const ids = [1, 2].map((id) => sql`id = ${id}`);
      expect(o.sql.all`SELECT id FROM items WHERE ${sql.join(ids, sql` OR `)} ORDER BY id`).toEqual([{ id: 1 }, { id: 2 }]);
      // The separator's values bind at each occurrence.
      const row = o.sql.one`SELECT ${sql.join([sql`${1}`, sql`${2}`, sql`${3}`], sql` + ${10} + `)} AS n`;
      expect(row).toEqual({ n: 26 });
      for (const separator of [sql.raw(" OR "), 5, { toString: () => " OR " }, null, [" OR "]]) {
        expect(thrownBy(() => sql.join(ids, separator as never)).code).toBe("SQL_BIND");
      }
      expect(o.sql.all`SELECT id FROM items WHERE ${sql.join(ids, " OR ")} ORDER BY id`.length).toBe(2);
    });
  });

  it("a Date binds as an INTEGER of epoch milliseconds", async () => {
    await runInDurableObject(env.CORPUS_BOX.getByName("date"), (o: CorpusBox) => {
      const at = new Date(1_733_000_000_123);
      expect(o.sql.one`SELECT typeof(${at}) AS t, ${at} AS v`).toEqual({ t: "integer", v: 1_733_000_000_123 });
      o.sql.run`UPDATE items SET at = ${at} WHERE id = 1`;
      expect(o.rawSql("SELECT typeof(at) AS t, at FROM items WHERE id = 1")[0]).toEqual({ t: "integer", at: 1_733_000_000_123 });
      expect(o.sql.all`SELECT id FROM items WHERE at = ${at}`).toEqual([{ id: 1 }]);
      expect(o.sql.one`SELECT count(*) AS n FROM json_each(${sql.json([1])}) WHERE ${at} > 0`).toEqual({ n: 1 });
      expect(thrownBy(() => o.sql.all`SELECT ${new Date(Number.NaN)}`).code).toBe("SQL_BIND");
    });
  });
});

describe("one code per mistake", () => {
  it("an async function is TRANSACTION_ASYNC in this.sql.transaction and in store.batch, before it runs", async () => {
    await runInDurableObject(env.CORPUS_BOX.getByName("async"), async (o: CorpusBox) => {
      let ran = 0;
      const fn = async () => {
        ran += 1;
      };
      expect(thrownBy(() => o.sql.transaction(fn as never)).code).toBe("TRANSACTION_ASYNC");
      expect(thrownBy(() => o.store.batch(fn as never)).code).toBe("TRANSACTION_ASYNC");
      expect(thrownBy(() => o.sql.transaction(() => Promise.resolve(1))).code).toBe("TRANSACTION_ASYNC");
      expect(thrownBy(() => o.store.batch(() => Promise.resolve(1))).code).toBe("TRANSACTION_ASYNC");
      expect(ran).toBe(0);
    });
  });

  it("ERROR_CODES is exported and every code is distinct", () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(ERROR_CODES).toContain("INDEX_KEY_FUNCTION");
  });
});

describe("index definitions and their errors", () => {
  const stub = (name: string) => env.INDEX_EVOLVING.getByName(name);
  /** The index tables' rows; an object whose class never declared an index has no such tables. */
  const indexTables = (o: IndexEvolving) =>
    o.rawSql("SELECT 1 FROM sqlite_master WHERE name = '_dc_store_indexes'").length === 0
      ? "no index tables"
      : [o.rawSql("SELECT * FROM _dc_store_indexes"), o.rawSql("SELECT * FROM _dc_store_index")];
  /** Redefines the indexes for the next wake; returns the index tables as they were before it. */
  const define = async (name: string, indexes: IndexDefinitions) => {
    const before = await runInDurableObject(stub(name), (o: IndexEvolving) => {
      (o.constructor as typeof IndexEvolving).indexes = indexes;
      return indexTables(o);
    });
    await evictDurableObject(stub(name));
    return before;
  };

  it("a changed version rebuilds an index whose key function text did not change", async () => {
    const field = { name: "email" };
    const byField = { key: (v: Record<string, string>) => v[field.name], unique: false };
    await define("version", { byField: { ...byField, version: 1 } });
    await runInDurableObject(stub("version"), async (o: IndexEvolving) => {
      o.store.put(["u", 1], { email: "a@x", mail: "b@x" });
      await o.store.ready();
      expect(o.store.index("byField").get("a@x")?.key).toEqual(["u", 1]);
    });
    // The closure now reads another field: same text, so only the version can say so.
    field.name = "mail";
    await define("version", { byField: { ...byField, version: 1 } });
    await runInDurableObject(stub("version"), async (o: IndexEvolving) => {
      await o.store.ready();
      expect(o.store.index("byField").get("b@x")).toBeUndefined(); // stale, as documented
    });
    await define("version", { byField: { ...byField, version: 2 } });
    await runInDurableObject(stub("version"), async (o: IndexEvolving) => {
      await o.store.ready();
      expect(o.store.index("byField").get("b@x")?.key).toEqual(["u", 1]);
      expect(o.store.index("byField").get("a@x")).toBeUndefined();
    });
  });

  it("a key function that throws on put is INDEX_KEY_FUNCTION naming the index and the entry; nothing is written", async () => {
    await define("throws", { byKind: { key: (v: { kind: string }) => v.kind } });
    await runInDurableObject(stub("throws"), async (o: IndexEvolving) => {
      await o.store.ready();
      const error = thrownBy(() => o.store.put(["note"], null));
      expect(error.code).toBe("INDEX_KEY_FUNCTION");
      expect(error.message).toContain("index `byKind`");
      expect(error.message).toContain('entry ["note"]');
      expect(error.message).toContain("TypeError");
      expect(error.cause).toBeInstanceOf(TypeError);
      expect(o.store.get(["note"])).toBeUndefined();
      expect(thrownBy(() => o.store.batch((tx) => tx.put(["sub", "s1"], null))).message).toContain('entry ["sub", "s1"]');
      // A key that is not a key names the index and the entry too.
      const bad = thrownBy(() => o.store.put(["n", 2], { kind: Number.NaN }));
      expect(bad.code).toBe("KEY_TYPE");
      expect(bad.message).toContain("index `byKind`");
      expect(bad.message).toContain('["n", 2]');
      expect(o.rawSql("SELECT * FROM _dc_store_index")).toEqual([]);
    });
  });

  it("a unique conflict names the key and both entries as JavaScript literals", async () => {
    await define("unique", { byEmail: { key: (v: { email: string }) => v.email, unique: true } });
    await runInDurableObject(stub("unique"), async (o: IndexEvolving) => {
      await o.store.ready();
      o.store.put(["sub", "s1"], { email: "a@x" });
      const error = thrownBy(() => o.store.put(["sub", "s2"], { email: "a@x" }));
      expect(error.code).toBe("INDEX_UNIQUE");
      expect(error.message).toContain('["a@x"]');
      expect(error.message).toContain('["sub", "s1"]');
      expect(error.message).toContain('["sub", "s2"]');
      expect(error.message).not.toContain("String(");
    });
  });

  it("a failed build is reported with its own code and ready() rejects with it", async () => {
    await define("failing", {});
    await runInDurableObject(stub("failing"), (o: IndexEvolving) => {
      o.store.put(["a", 1], { email: "same" });
      o.store.put(["a", 2], { email: "same" });
      o.store.put(["a", 3], { email: Number.POSITIVE_INFINITY });
    });
    await define("failing", { dup: { key: (v: { email: unknown }) => String(v.email), unique: true } });
    await runInDurableObject(stub("failing"), async (o: IndexEvolving) => {
      await expect(o.store.ready()).rejects.toMatchObject({ code: "INDEX_UNIQUE", message: expect.stringContaining('["a", 1]') });
    });
    await define("failing", { bad: { key: (v: { email: unknown }) => (typeof v.email === "number" ? v.email : 0) } });
    await runInDurableObject(stub("failing"), async (o: IndexEvolving) => {
      await expect(o.store.ready()).rejects.toMatchObject({ code: "KEY_TYPE", message: expect.stringContaining('["a", 3]') });
      expect(thrownBy(() => o.store.index("bad").get(1)).code).toBe("KEY_TYPE");
    });
  });

  it("a prefix-scoped index sees only the entries under its prefix, through put, delete, batch and rebuilds", async () => {
    let calls = 0;
    const scoped = (prefix: string) => ({
      prefix: [prefix],
      key: (v: { email: string }) => {
        calls += 1;
        return v.email;
      },
      unique: true,
    });
    await define("prefix", {});
    await runInDurableObject(stub("prefix"), (o: IndexEvolving) => {
      o.store.put(["sub", "s1"], { email: "a@x" });
      o.store.put(["user", 1], { email: "a@x" });
      o.store.put(["subs"], { email: "a@x" });
      o.store.put("sub", { email: "root@x" });
    });
    await define("prefix", { subByEmail: scoped("sub") });
    await runInDurableObject(stub("prefix"), async (o: IndexEvolving) => {
      await o.store.ready();
      // Built from the two entries under ["sub"] only: the unique email elsewhere is no conflict.
      expect(calls).toBe(2);
      expect(o.store.index("subByEmail").count()).toBe(2);
      expect(o.store.index("subByEmail").get("a@x")?.key).toEqual(["sub", "s1"]);
      calls = 0;
      o.store.put(["user", 2], { email: "b@x" });
      o.store.put(["other"], null); // never shown to the key function
      expect(calls).toBe(0);
      expect(o.store.index("subByEmail").get("b@x")).toBeUndefined();
      o.store.batch((tx) => {
        tx.put(["sub", "s2"], { email: "b@x" });
        tx.delete(["sub", "s1"]);
      });
      expect(o.store.index("subByEmail").get("b@x")?.key).toEqual(["sub", "s2"]);
      expect(o.store.index("subByEmail").get("a@x")).toBeUndefined();
      expect(thrownBy(() => o.store.put(["sub", "s3"], { email: "b@x" })).code).toBe("INDEX_UNIQUE");
      o.store.deleteRange({ prefix: ["sub", "s2"] });
      expect(o.store.index("subByEmail").count()).toBe(1);
    });
    // A changed prefix is a changed index: rebuilt over the new prefix.
    await define("prefix", { subByEmail: scoped("user") });
    await runInDurableObject(stub("prefix"), async (o: IndexEvolving) => {
      await o.store.ready();
      expect(o.store.index("subByEmail").list().map((e) => e.key)).toEqual([["user", 1], ["user", 2]]);
    });
  });

  it("a malformed definition is INDEX_DEFINITION, and the object refuses calls without touching storage", async () => {
    for (const [label, indexes] of [
      ["no key", { x: {} }],
      ["key not a function", { x: { key: "email" } }],
      ["prefix not a key", { x: { key: () => 1, prefix: [Number.NaN] } }],
      ["prefix too large", { x: { key: () => 1, prefix: ["x".repeat(4096)] } }],
      ["version an object", { x: { key: () => 1, version: {} } }],
      ["unique not a boolean", { x: { key: () => 1, unique: "yes" } }],
      ["definition null", { x: null }],
    ] as const) {
      const before = await define(`definition-${label}`, indexes as never);
      await runInDurableObject(stub(`definition-${label}`), (o: IndexEvolving) => {
        expect(thrownBy(() => o.store).code, label).toBe("INDEX_DEFINITION");
        expect(thrownBy(() => o.sql).code, label).toBe("INDEX_DEFINITION");
        expect(indexTables(o), label).toEqual(before);
      });
    }
    await define("definition-fixed", {});
  });
});
