import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { DurableCoreError, sql } from "durable-core";
import { describe, expect, it } from "vitest";
import type { SqlEdited, SqlInventory } from "./fixtures/sql";

/** What `fn` threw, asserted to be a DurableCoreError. */
function thrown(fn: () => unknown): DurableCoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DurableCoreError);
    return error as DurableCoreError;
  }
  throw new Error("expected a DurableCoreError, nothing was thrown");
}

function inventory(name: string) {
  return env.SQL_INVENTORY.getByName(name);
}

/** Runs `fn` inside a fresh SqlInventory holding items 1..n (stock = id). */
async function withItems<T>(name: string, n: number, fn: (obj: SqlInventory) => T): Promise<T> {
  return runInDurableObject(inventory(name), (obj: SqlInventory) => {
    obj.sql.run`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n})
      INSERT INTO items (id, name, stock) SELECT i, 'item-' || i, i FROM seq`;
    return fn(obj);
  });
}

describe("queries", () => {
  it("all, one, first and run", async () => {
    await withItems("basics", 3, (obj) => {
      expect(obj.sql.all<{ id: number }>`SELECT id FROM items ORDER BY id`.map((r) => r.id)).toEqual([1, 2, 3]);
      expect(obj.sql.one<{ name: string }>`SELECT name FROM items WHERE id = ${2}`).toEqual({ name: "item-2" });
      expect(obj.sql.first`SELECT name FROM items WHERE id = ${9}`).toBeUndefined();
      expect(obj.sql.first<{ id: number }>`SELECT id FROM items ORDER BY id DESC`).toEqual({ id: 3 });
      const result = obj.sql.run`UPDATE items SET stock = stock + 1 WHERE id >= ${2}`;
      expect(result.rowsWritten).toBe(2);
      expect(obj.stock(3)).toBe(4);
    });
  });

  it("all builds the same row objects as the platform's toArray", async () => {
    await withItems("row-objects", 3, (obj) => {
      // all() builds rows from raw() value arrays (faster for many rows): every odd column name
      // must come out exactly as the platform's own row objects.
      const queries = [
        "SELECT id, name, stock FROM items ORDER BY id",
        "SELECT * FROM items WHERE id < 0",
        "SELECT 1 AS a, 2 AS a, 'x' AS b",
        "SELECT 1 AS '0', 2 AS '1', 3 AS b, 4 AS '10'",
        "SELECT 1 AS constructor, 2 AS toString, 1 + 1",
        "SELECT 1 AS __proto__, 2 AS b",
        "SELECT NULL AS __proto__, 2 AS b",
        "SELECT x'0001ff' AS bytes, NULL AS empty, 1.5 AS fraction, 9007199254740993 AS big",
        // Every column count around the six that get a store each, then names repeated and
        // `__proto__` on either side of the sixth column.
        ...Array.from({ length: 9 }, (_, n) => `SELECT ${Array.from({ length: n + 1 }, (_, k) => `${k} AS c${k}`).join(", ")}`),
        "SELECT 1 AS a, 2 AS b, 3 AS c, 4 AS d, 5 AS e, 6 AS a",
        "SELECT 1 AS a, 2 AS b, 3 AS c, 4 AS d, 5 AS e, 6 AS f, 7 AS b",
        "SELECT 1 AS a, 2 AS b, 3 AS c, 4 AS d, 5 AS '7', NULL AS __proto__",
        "SELECT 1 AS a, 2 AS b, 3 AS c, 4 AS d, 5 AS e, 6 AS f, NULL AS __proto__, 8 AS '3'",
      ];
      const shape = (row: object) => ({
        keys: Object.getOwnPropertyNames(row),
        proto: Object.getPrototypeOf(row),
        values: Object.values(row).map((v) => (v instanceof ArrayBuffer ? [...new Uint8Array(v)] : v)),
      });
      for (const text of queries) {
        const platform = obj.rawSql.exec(text).toArray().map(shape);
        expect(obj.sql.all`${sql.raw(text)}`.map(shape), text).toEqual(platform);
      }
    });
  });

  it("binds every value in its place, for any number of values", async () => {
    await withItems("arity", 1, (obj) => {
      // A template of n values, as a tag receives it: `SELECT ${v0} AS v0, ${v1} AS v1, ...`.
      const template = (n: number) => {
        const strings = n === 0 ? ["SELECT 0 AS none"] : ["SELECT ", ...Array.from({ length: n }, (_, k) => ` AS v${k}${k < n - 1 ? ", " : ""}`)];
        return Object.assign(strings, { raw: strings }) as unknown as TemplateStringsArray;
      };
      const kinds = [(k: number) => k * 10 + 0.5, (k: number) => `text ${k}`, () => null, (k: number) => k % 2 === 0];
      for (let n = 0; n <= 9; n++) {
        const values = Array.from({ length: n }, (_, k) => kinds[k % kinds.length]!(k));
        const expected: Record<string, unknown> = n === 0 ? { none: 0 } : {};
        values.forEach((value, k) => {
          expected[`v${k}`] = typeof value === "boolean" ? (value ? 1 : 0) : value;
        });
        expect(obj.sql.one(template(n), ...values), `${n} values`).toEqual(expected);
        expect(obj.sql.all(template(n), ...values), `${n} values`).toEqual([expected]);
        expect(obj.sql.first(template(n), ...values), `${n} values`).toEqual(expected);
        expect(obj.sql.run(template(n), ...values), `${n} values`).toEqual({ rowsRead: 0, rowsWritten: 0 });
      }
    });
  });

  it("runs the issue's transaction example", async () => {
    const stub = inventory("reserve");
    await stub.addItem(1, "widget", 5);
    expect(await stub.reserve(1, 3)).toBe(true);
    expect(await stub.reserve(1, 3)).toBe(false);
    expect(await stub.stock(1)).toBe(2);
  });

  it("rolls a transaction back whole when its function throws, and rethrows", async () => {
    await withItems("rollback", 2, (obj) => {
      const boom = new Error("boom");
      expect(() =>
        obj.sql.transaction(() => {
          obj.sql.run`UPDATE items SET stock = 100 WHERE id = ${1}`;
          obj.sql.run`DELETE FROM items WHERE id = ${2}`;
          throw boom;
        }),
      ).toThrow(boom);
      expect(obj.sql.all`SELECT id, stock FROM items ORDER BY id`).toEqual([
        { id: 1, stock: 1 },
        { id: 2, stock: 2 },
      ]);
    });
  });

  it("refuses an async transaction function and rolls it back", async () => {
    await withItems("async-tx", 1, (obj) => {
      const error = thrown(() =>
        obj.sql.transaction(async () => {
          obj.sql.run`DELETE FROM items`;
        }),
      );
      expect(error.code).toBe("TRANSACTION_ASYNC");
      expect(obj.stock(1)).toBe(1);
    });
  });

  it("refuses an async transaction function before it runs, so nothing after an await escapes", async () => {
    await withItems("async-tx-await", 1, async (obj) => {
      const error = thrown(() =>
        obj.sql.transaction(async () => {
          await null;
          obj.sql.run`DELETE FROM items`;
        }),
      );
      expect(error.code).toBe("TRANSACTION_ASYNC");
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(obj.stock(1)).toBe(1);
    });
  });

  it("splices fragments, joins, identifiers and raw text", async () => {
    await withItems("fragments", 10, (obj) => {
      const minStock = sql`stock >= ${4}`;
      const ids = sql`id IN ${sql.in([2, 4, 6, 8])}`;
      const rows = obj.sql.all<{ id: number }>`SELECT ${sql.id("id")} FROM items WHERE ${sql.join([minStock, ids], " AND ")} ORDER BY id ${sql.raw("DESC")}`;
      expect(rows.map((r) => r.id)).toEqual([8, 6, 4]);
      const columns = ["name", "stock"];
      const values: Record<string, unknown> = { name: "renamed", stock: 42 };
      obj.sql.run`UPDATE items SET ${sql.join(columns.map((c) => sql`${sql.id(c)} = ${values[c]}`))} WHERE id = ${1}`;
      expect(obj.sql.one`SELECT name, stock FROM items WHERE id = ${1}`).toEqual({ name: "renamed", stock: 42 });
      // A fragment can also be run on its own.
      expect(obj.sql.all(sql`SELECT id FROM items WHERE ${ids} ORDER BY id`)).toEqual([{ id: 2 }, { id: 4 }, { id: 6 }, { id: 8 }]);
    });
  });

  it("quotes identifiers holding quotes and spaces", async () => {
    await runInDurableObject(inventory("identifiers"), (obj: SqlInventory) => {
      const table = sql.id('odd "table" name');
      const column = sql.id("col; DROP TABLE items --");
      obj.sql.run`CREATE TABLE ${table} (${column} TEXT)`;
      obj.sql.run`INSERT INTO ${table} (${column}) VALUES (${"v"})`;
      expect(obj.sql.all`SELECT ${column} FROM ${table}`).toEqual([{ "col; DROP TABLE items --": "v" }]);
      expect(obj.sql.one<{ n: number }>`SELECT count(*) AS n FROM items`.n).toBe(0);
    });
  });

  it("stores sql.json values as JSON text", async () => {
    await runInDurableObject(inventory("json"), (obj: SqlInventory) => {
      obj.sql.run`INSERT INTO docs (body) VALUES (${sql.json({ a: [1, 2], b: "x" })})`;
      expect(obj.sql.one`SELECT body, json_extract(body, '$.a[1]') AS second FROM docs`).toEqual({ body: '{"a":[1,2],"b":"x"}', second: 2 });
    });
  });
});

describe("sql.in", () => {
  for (const length of [0, 1, 100, 101, 10_000]) {
    it(`matches exactly a list of ${length} ids`, async () => {
      await withItems(`in-${length}`, 20_000, (obj) => {
        // every other id, so that a truncated or widened list would show
        const ids = Array.from({ length }, (_, k) => 2 * k + 1);
        const rows = obj.sql.all<{ id: number }>`SELECT id FROM items WHERE id IN ${sql.in(ids)} ORDER BY id`;
        expect(rows.length).toBe(length);
        expect(rows.map((r) => r.id)).toEqual(ids);
        const missing = obj.sql.one<{ n: number }>`SELECT count(*) AS n FROM items WHERE id NOT IN ${sql.in(ids)}`.n;
        expect(missing).toBe(20_000 - length);
      });
    });
  }

  it("takes strings with quotes and blobs byte-exact", async () => {
    await runInDurableObject(inventory("in-kinds"), (obj: SqlInventory) => {
      obj.sql.run`INSERT INTO items (id, name, stock) VALUES (1, ${`it's "quoted"\n`}, 0), (2, ${"plain"}, 0)`;
      expect(obj.sql.all`SELECT id FROM items WHERE name IN ${sql.in([`it's "quoted"\n`, "absent"])}`).toEqual([{ id: 1 }]);
      obj.sql.run`INSERT INTO bin (k) VALUES (${new Uint8Array([0, 255])}), (${new Uint8Array([1])}), (${new Uint8Array([2])})`;
      const hex = obj.sql.all<{ k: string }>`SELECT hex(k) AS k FROM bin WHERE k IN ${sql.in([new Uint8Array([0, 255]), new Uint8Array([2]).buffer])} ORDER BY k`;
      expect(hex.map((r) => r.k)).toEqual(["00FF", "02"]);
    });
  });

  it("keeps text exact through the JSON array it binds", async () => {
    await withItems("in-escaping", 10, (obj) => {
      const odd = ['quote " back\\slash', "line\nbreak", "émoji 🎉", "it's", "tab\tand \u0001 control"];
      odd.forEach((name, k) => obj.sql.run`INSERT INTO items (id, name, stock) VALUES (${-1 - k}, ${name}, 0)`);
      const names = [...odd, "item-7", "absent"];
      const rows = obj.sql.all<{ name: string }>`SELECT name FROM items WHERE name IN ${sql.in(names)} ORDER BY id`;
      expect(rows.map((r) => r.name).sort()).toEqual([...odd, "item-7"].sort());
    });
  });

  it("keeps numbers and nulls apart from text, as a literal list does", async () => {
    await withItems("in-affinity", 10, (obj) => {
      // json_each yields typed values and SQLite applies the column's affinity to them exactly
      // as to a literal list: the JSON form must match what `IN (NULL, '5', 6.0)` matches.
      const literal = obj.sql.one<{ n: number }>`SELECT count(*) AS n FROM items WHERE id IN (NULL, '5', 6.0)`.n;
      const bound = obj.sql.one<{ n: number }>`SELECT count(*) AS n FROM items WHERE id IN ${sql.in([null, "5", 6.0])}`.n;
      expect(bound).toBe(literal);
      expect(literal).toBe(2);
      const text = obj.sql.one<{ n: number }>`SELECT count(*) AS n FROM items WHERE name IN ${sql.in(["item-1", 1, null])}`.n;
      expect(text).toBe(1);
    });
  });

  it("binds lists, plain values and raw text together inside joined fragments", async () => {
    await withItems("in-join", 40, (obj) => {
      const ids = Array.from({ length: 30 }, (_, k) => k + 1);
      const conditions = sql.join([sql`id IN ${sql.in(ids)}`, sql`name LIKE ${"item-2%"}`], " AND ");
      const rows = obj.sql.all<{ id: number }>`SELECT id FROM items WHERE ${conditions} ORDER BY id ${sql.raw("DESC")} LIMIT ${3}`;
      expect(rows.map((r) => r.id)).toEqual([29, 28, 27]);
    });
  });
});

describe("binding", () => {
  it("binds booleans as 1/0 and dates as epoch milliseconds", async () => {
    await runInDurableObject(inventory("booleans"), (obj: SqlInventory) => {
      obj.sql.run`INSERT INTO flags (b) VALUES (${true}), (${false}), (${new Date(1234)})`;
      expect(obj.sql.all`SELECT b, typeof(b) AS t FROM flags ORDER BY rowid`).toEqual([
        { b: 1, t: "integer" },
        { b: 0, t: "integer" },
        { b: 1234, t: "integer" },
      ]);
      expect(obj.sql.all`SELECT b FROM flags WHERE b = ${true}`).toEqual([{ b: 1 }]);
    });
  });

  it("leaves a fragment's values as they were, and keeps each call site's statement when sites take turns", async () => {
    await runInDurableObject(inventory("bound-in-place"), (obj: SqlInventory) => {
      // The plain path converts the values of its rest array in place; a fragment's are its own.
      const insert = sql`INSERT INTO flags (b) VALUES (${true}), (${5n}), (${"x"})`;
      obj.sql.run(insert);
      obj.sql.run(insert);
      expect(insert.values).toEqual([true, 5n, "x"]);
      // Values converted before a Date is met bind the same on the shaped path.
      obj.sql.run`INSERT INTO flags (b) VALUES (${false}), (${7n}), (${new Date(9)}), (${sql.json([true])})`;
      expect(obj.sql.all`SELECT b FROM flags ORDER BY rowid`.map((row) => row.b)).toEqual([1, 5, "x", 1, 5, "x", 0, 7, 9, "[true]"]);
      const seen: unknown[] = [];
      for (let turn = 0; turn < 9; turn++) {
        const site = turn % 3;
        if (site === 0) seen.push(obj.sql.one`SELECT count(*) AS c FROM flags WHERE b = ${true}`.c);
        if (site === 1) seen.push(obj.sql.all`SELECT b FROM flags WHERE b = ${"x"}`.length);
        // A site whose template is refused between the others: nothing is cached for it.
        if (site === 2) seen.push(thrown(() => obj.sql.one`SELECT b FROM flags WHERE b = ? AND ${turn} > 0`).code);
      }
      expect(seen).toEqual([2, 2, "SQL_TEMPLATE", 2, 2, "SQL_TEMPLATE", 2, 2, "SQL_TEMPLATE"]);
    });
  });

  it("round-trips blobs byte-exact", async () => {
    await runInDurableObject(inventory("blobs"), (obj: SqlInventory) => {
      const bytes = new Uint8Array(256).map((_, i) => i);
      obj.sql.run`INSERT INTO bin (k) VALUES (${bytes})`;
      const row = obj.sql.one<{ k: ArrayBuffer }>`SELECT k FROM bin`;
      expect(new Uint8Array(row.k)).toEqual(bytes);
    });
  });

  it("binds safe bigints as numbers; integers beyond 2^53 come back as doubles unless read as text", async () => {
    await runInDurableObject(inventory("bigints"), (obj: SqlInventory) => {
      obj.sql.run`INSERT INTO flags (b) VALUES (${9_007_199_254_740_991n})`;
      expect(obj.sql.one`SELECT b FROM flags`).toEqual({ b: Number.MAX_SAFE_INTEGER });
      // SQLite keeps 2^53 + 1 exactly; the platform returns every number as a double.
      obj.sql.run`DELETE FROM flags`;
      obj.sql.run`INSERT INTO flags (b) VALUES (9007199254740993)`;
      const row = obj.sql.one<{ b: number; text: string; t: string }>`SELECT b, CAST(b AS TEXT) AS text, typeof(b) AS t FROM flags`;
      expect(row.t).toBe("integer");
      expect(row.b).toBe(9_007_199_254_740_992);
      expect(row.text).toBe("9007199254740993");
    });
  });
});

/** An object that contains itself: JSON cannot write it. */
function cyclic(): object {
  const value: { self?: object } = {};
  value.self = value;
  return value;
}

describe("errors, each leaving storage unchanged", () => {
  const cases: Array<[string, string, (obj: SqlInventory) => unknown]> = [
    ["SQL_BIND", "undefined", (obj) => obj.sql.run`UPDATE items SET name = ${undefined} WHERE id = 1`],
    ["SQL_BIND", "sql.json", (obj) => obj.sql.run`UPDATE items SET name = ${{ a: 1 }} WHERE id = 1`],
    ["SQL_BIND", "sql.in", (obj) => obj.sql.run`DELETE FROM items WHERE id IN ${[1, 2] as unknown}`],
    ["SQL_BIND", "cannot be written as JSON", (obj) => obj.sql.run`UPDATE items SET name = ${sql.json(cyclic())} WHERE id = 1`],
    ["SQL_BIND", "cannot be written as JSON", (obj) => obj.sql.run`UPDATE items SET name = ${sql.json({ n: 1n })} WHERE id = 1`],
    ["SQL_BIND", "2^53", (obj) => obj.sql.run`UPDATE items SET stock = ${2n ** 60n} WHERE id = 1`],
    ["SQL_BIND", "undefined", (obj) => obj.sql.run`DELETE FROM items WHERE id IN ${sql.in([1, undefined])}`],
    ["SQL_BIND", "100", (obj) => obj.sql.run`DELETE FROM bin WHERE k IN ${sql.in(Array.from({ length: 101 }, () => new Uint8Array([1])))}`],
    [
      "SQL_BIND",
      "100",
      (obj) => obj.sql.run(sql`DELETE FROM items WHERE id = 0 OR ${sql.join(Array.from({ length: 101 }, (_, i) => sql`id = ${i}`), " OR ")}`),
    ],
    ["SQL_TEMPLATE", "string literal", (obj) => obj.sql.run`UPDATE items SET name = '${"x"}' WHERE id = 1`],
    ["SQL_TEMPLATE", "comment", (obj) => obj.sql.run`DELETE FROM items /* ${1} */`],
    ["SQL_TEMPLATE", "${value}", (obj) => obj.sql.run`DELETE FROM items WHERE id = ?`],
    ["SQL_IDENTIFIER", "empty", (obj) => obj.sql.run`DELETE FROM ${sql.id("")}`],
    ["SQL_FORBIDDEN", "this.sql.transaction", (obj) => obj.sql.run`BEGIN`],
    ["SQL_FORBIDDEN", "this.sql.transaction", (obj) => obj.sql.run`SAVEPOINT x`],
    ["SQL_FORBIDDEN", "one database", (obj) => obj.sql.run`ATTACH 'x' AS y`],
    ["SQL_FORBIDDEN", "_dc_", (obj) => obj.sql.run`DELETE FROM _dc_migrations`],
    ["SQL_FORBIDDEN", "_dc_", (obj) => obj.sql.run`WITH x AS (SELECT 1) INSERT INTO _dc_meta (key, value) SELECT 'k', 1 FROM x`],
    ["SQL_FORBIDDEN", "_cf_", (obj) => obj.sql.run`UPDATE _cf_KV SET value = 1`],
    ["SQL_NOT_ONE", "got 0", (obj) => obj.sql.one`SELECT * FROM items WHERE id = ${404}`],
    ["SQL_NOT_ONE", "got 3", (obj) => obj.sql.one`SELECT * FROM items`],
    ["SQL_ERROR", "UNIQUE", (obj) => obj.sql.run`INSERT INTO items (id, name, stock) VALUES (${1}, ${"dup"}, ${0})`],
    ["SQL_ERROR", "no such table", (obj) => obj.sql.all`SELECT * FROM nowhere WHERE id = ${1}`],
  ];

  cases.forEach(([code, needle, call], index) => {
    it(`${code}: ${needle} (case ${index + 1})`, async () => {
      await withItems(`error-${index}`, 3, (obj) => {
        const before = obj.snapshot();
        const error = thrown(() => call(obj));
        expect(error.code).toBe(code);
        expect(error.message).toContain(needle);
        expect(obj.snapshot()).toEqual(before);
      });
    });
  });

  it("SQL_ERROR names the statement", async () => {
    await runInDurableObject(inventory("error-statement"), (obj: SqlInventory) => {
      const error = thrown(() => obj.sql.all`SELECT * FROM nowhere WHERE id = ${1}`);
      expect(error.message).toContain("SELECT * FROM nowhere WHERE id = ?");
    });
  });

  it("reads of reserved tables are allowed", async () => {
    expect(await inventory("ledger-read").ledgerVersions()).toEqual([1, 2, 3, 4]);
  });
});

describe("migrations through this.sql", () => {
  it("concurrent first requests migrate once", async () => {
    const stub = inventory("concurrent");
    const results = await Promise.all(Array.from({ length: 8 }, () => stub.seededRows()));
    expect(results).toEqual(Array(8).fill(1));
    expect(await stub.ledgerVersions()).toEqual([1, 2, 3, 4]);
  });

  it("an edited migration refuses calls with MIGRATION_CHANGED and keeps the data", async () => {
    const stub = env.SQL_EDITED.getByName("edited");
    await stub.add("kept");
    const original = await runInDurableObject(stub, (obj: SqlEdited) => {
      const cls = obj.constructor as typeof SqlEdited;
      const before = cls.migrations;
      cls.migrations = ["CREATE TABLE notes (text TEXT)"];
      return before;
    });
    try {
      await evictDurableObject(stub);
      await runInDurableObject(stub, (obj: SqlEdited) => {
        const error = thrown(() => obj.notes());
        expect(error.code).toBe("MIGRATION_CHANGED");
        expect(error.message).toContain("migration 1");
        expect(obj.rawNotes()).toEqual(["kept"]);
      });
    } finally {
      await runInDurableObject(stub, (obj: SqlEdited) => {
        (obj.constructor as typeof SqlEdited).migrations = original;
      });
      await evictDurableObject(stub);
    }
    expect(await stub.notes()).toEqual(["kept"]);
  });
});
