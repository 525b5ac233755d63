// Lazy schema (issue 15, S6): a fresh object pays for no table it does not use, and a
// capability's tables, created at its first use, never race and never outlive a rollback.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LazySchema } from "./fixtures/schema.js";

const HOUR = 3_600_000;
const READ_LEDGER = "SELECT scope, version, checksum FROM _dc_migrations ORDER BY scope, version";
const LEDGER_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_dc_migrations'";
const SCHEDULER_TABLES = ["_dc_alarm", "_dc_dead_tasks", "_dc_migrations", "_dc_tasks"];
const SCHEDULER_LEDGER = ["core:scheduler@1", "core:scheduler@2"];

type Kind = "bare" | "migrated";
/** A fresh object with nothing declared, or with one migration (the bench's S6 object). */
const object = (kind: Kind, name: string) => (kind === "bare" ? env.LAZY_SCHEMA : env.LAZY_SCHEMA_MIGRATED).getByName(name);
/** What each kind has before any capability is used. */
const baseTables: Record<Kind, string[]> = { bare: [], migrated: ["_dc_migrations", "items"] };
const baseLedger: Record<Kind, string[]> = { bare: [], migrated: ["user@1"] };
const turnEnds = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("a fresh object's wake", () => {
  it("runs one statement and writes nothing when the class declares nothing", async () => {
    const stub = object("bare", "fresh");
    // The lookup, not the read: no statement fails for want of the ledger (a failed statement
    // costs a wake more than the lookup does).
    expect(await stub.statements()).toEqual([LEDGER_EXISTS]);
    expect(await stub.failedStatements()).toBe(0);
    expect(await stub.tables()).toEqual([]);
  });

  it("runs the ledger read, the migration and its ledger row for a class with one migration", async () => {
    const stub = object("migrated", "fresh");
    const statements = await stub.statements();
    expect(statements).toHaveLength(3);
    // Whether the ledger exists is asked of sqlite_master: no statement fails for want of it (a
    // failed statement costs the platform about as much as a CREATE TABLE).
    expect(statements[0]).toBe(LEDGER_EXISTS);
    expect(statements[1]).toContain("CREATE TABLE items");
    expect(statements[2]).toMatch(/^CREATE TABLE IF NOT EXISTS _dc_migrations .*; INSERT INTO _dc_migrations /);
    expect(await stub.failedStatements()).toBe(0);
    expect(await stub.tables()).toEqual(["_dc_migrations", "items"]);
    expect(await stub.ledger()).toEqual(["user@1"]);
  });

  it("leaves no ledger table behind when the first migration fails, and refuses calls", async () => {
    const stub = env.LAZY_SCHEMA_BROKEN.getByName("fresh");
    await stub.ping();
    expect(await stub.tables()).toEqual([]);
    await runInDurableObject(stub, async (o: LazySchema) => {
      await expect(o.fetch(new Request("https://example.com/"))).rejects.toMatchObject({ code: "MIGRATION_FAILED" });
    });
    // A later wake tries again, from nothing.
    await evictDurableObject(stub);
    await stub.ping();
    expect(await stub.tables()).toEqual([]);
    expect((await stub.statements())[0]).toBe(LEDGER_EXISTS);
  });

  it("runs two read-only statements at a later wake of a class with one migration", async () => {
    const stub = object("migrated", "woken-again");
    await stub.ping();
    await evictDurableObject(stub);
    const statements = await stub.statements();
    expect(statements).toEqual([LEDGER_EXISTS, READ_LEDGER]);
    expect(await stub.failedStatements()).toBe(0);
    expect(await stub.ledger()).toEqual(["user@1"]);
  });

  it("creates the store's tables only for a class that declares indexes", async () => {
    const stub = object("bare", "store-without-indexes");
    await runInDurableObject(stub, (o: LazySchema) => {
      o.store.put(["user", 1, "session"], { device: "ios" });
      o.store.put("flat", 1);
      expect(o.store.get(["user", 1, "session"])).toEqual({ device: "ios" });
      expect(o.store.list().map((e) => e.key)).toEqual([["flat"], ["user", 1, "session"]]);
      o.store.deleteRange({ prefix: ["user"] });
      expect(o.store.count()).toBe(1);
    });
    expect(await stub.tables()).toEqual([]);
    // A class with indexes has them built at the wake, before any event.
    const indexed = env.STORE_BOX.getByName("lazy-schema");
    const tables = await runInDurableObject(indexed, (o) =>
      o.rawSql<{ name: string }>("SELECT name FROM sqlite_master WHERE name LIKE '\\_dc\\_store%' ESCAPE '\\' AND type = 'table' ORDER BY name").map((r) => r.name),
    );
    expect(tables).toEqual(["_dc_store_index", "_dc_store_indexes"]);
  });
});

describe("a capability's first use", () => {
  it.each(["bare", "migrated"] as const)("creates the scheduler's tables and nothing else (%s)", async (kind) => {
    const stub = object(kind, "first-use");
    expect(await stub.schedule("a")).toBe("a");
    expect(await stub.tables()).toEqual([...new Set([...baseTables[kind], ...SCHEDULER_TABLES])].sort());
    expect(await stub.ledger()).toEqual([...SCHEDULER_LEDGER, ...baseLedger[kind]].sort());
    expect(await stub.taskIds()).toEqual(["a"]);
  });

  it("even when the call is refused before it reaches the core", async () => {
    const stub = object("bare", "refused-first-use");
    await runInDurableObject(stub, (o: LazySchema) => {
      expect(o.attempt(() => o.scheduler.after(0, "alarm" as never))).toEqual({ code: "TASK_METHOD" });
      expect(o.rawSql("SELECT count(*) AS n FROM _dc_tasks")).toEqual([{ n: 0 }]);
    });
  });

  it("twice in one event, and from two concurrent events, creates the tables once", async () => {
    const stub = object("bare", "two-first-uses");
    await Promise.all([stub.schedule("a"), stub.schedule("b")]);
    const other = object("bare", "two-in-one-event");
    await runInDurableObject(other, (o: LazySchema) => {
      const scheduler = o.scheduler;
      o.schedule("c");
      expect(scheduler.after(HOUR, "record", undefined, { id: "d" }).id).toBe("d");
    });
    expect((await stub.taskIds()).sort()).toEqual(["a", "b"]);
    expect(await other.taskIds()).toEqual(["c", "d"]);
    for (const s of [stub, other]) expect(await s.ledger()).toEqual(SCHEDULER_LEDGER);
  });
});

describe("a first use inside a transaction that rolls back", () => {
  const ways = ["this.sql.transaction", "ctx.storage.transactionSync"] as const;
  const cases = ways.flatMap((way) => (["bare", "migrated"] as const).map((kind) => [way, kind] as const));

  it.each(cases)("%s (%s): the tables are undone, and the engine does not believe in them afterwards", async (way, kind) => {
    const stub = object(kind, `rollback-${way}`);
    await runInDurableObject(stub, async (o: LazySchema) => {
      const inTransaction = (fn: () => void) => (way === "this.sql.transaction" ? o.sql.transaction(fn) : o.transactionSync(fn));
      expect(() =>
        inTransaction(() => {
          o.schedule("rolled-back");
          throw new Error("roll back");
        }),
      ).toThrow("roll back");
      expect(o.tables()).toEqual(baseTables[kind]);
      expect(o.ledger()).toEqual(baseLedger[kind]);
      // The same turn: the tables must be created again, not assumed.
      expect(o.schedule("same-turn")).toBe("same-turn");
      expect(o.taskIds()).toEqual(["same-turn"]);
      await turnEnds();
      expect(o.schedule("next-turn")).toBe("next-turn");
    });
    // Rolled back again, in a later event, once the first creation is behind it: nothing lost.
    await runInDurableObject(stub, (o: LazySchema) => {
      expect(() =>
        o.transactionSync(() => {
          o.schedule("rolled-back-too");
          throw new Error("roll back");
        }),
      ).toThrow("roll back");
    });
    await evictDurableObject(stub);
    expect(await stub.taskIds()).toEqual(["same-turn", "next-turn"]);
    expect(await stub.ledger()).toEqual([...SCHEDULER_LEDGER, ...baseLedger[kind]].sort());
  });

  it.each(["bare", "migrated"] as const)(
    "ctx.storage.transaction (async, %s): a first use that waits past the end of its turn, then rolls back, is created again",
    async (kind) => {
      const stub = object(kind, "rollback-async-transaction");
      await runInDurableObject(stub, async (o: LazySchema) => {
        await expect(
          o.transaction(async () => {
            o.schedule("rolled-back");
            // The turn that created the tables ends here, while the transaction is still open.
            await turnEnds();
            expect(o.taskIds()).toEqual(["rolled-back"]);
            throw new Error("roll back");
          }),
        ).rejects.toThrow("roll back");
        expect(o.tables()).toEqual(baseTables[kind]);
        expect(o.ledger()).toEqual(baseLedger[kind]);
        // Neither a rollback taken for a wipe (STORAGE_RESET) nor a table believed in.
        expect(o.schedule("after")).toBe("after");
        await turnEnds();
        expect(o.schedule("next-turn")).toBe("next-turn");
      });
      await evictDurableObject(stub);
      expect(await stub.taskIds()).toEqual(["after", "next-turn"]);
      expect(await stub.ledger()).toEqual([...SCHEDULER_LEDGER, ...baseLedger[kind]].sort());
    },
  );

  it("rolled back, then used only in a later event", async () => {
    const stub = object("bare", "rollback-then-later");
    await runInDurableObject(stub, (o: LazySchema) => {
      expect(() =>
        o.sql.transaction(() => {
          o.schedule("rolled-back");
          throw new Error("roll back");
        }),
      ).toThrow("roll back");
    });
    expect(await stub.tables()).toEqual([]);
    expect(await stub.schedule("later")).toBe("later");
    expect(await stub.taskIds()).toEqual(["later"]);
  });
});

describe("a first use in an invocation that ends abnormally", () => {
  it("after ctx.abort(), the next instance creates (or finds) the tables", async () => {
    const name = "abort";
    await expect(
      runInDurableObject(object("bare", name), (o: LazySchema) => {
        o.schedule("maybe-lost");
        o.abort("test");
      }),
    ).rejects.toThrow();
    // A stub of an aborted object stays broken: a fresh one.
    const stub = object("bare", name);
    expect(await stub.schedule("after-abort")).toBe("after-abort");
    expect(await stub.taskIds()).toContain("after-abort");
    expect(await stub.ledger()).toEqual(SCHEDULER_LEDGER);
  });

  it("after an eviction, the wake finds the tables, creates nothing and checks the alarm", async () => {
    const stub = object("bare", "evicted");
    await stub.schedule("queued", HOUR);
    const due = await runInDurableObject(stub, async (o: LazySchema) => {
      await o.deleteAlarm();
      return o.scheduler.get("queued")!.due;
    });
    await evictDurableObject(stub);
    const statements = await stub.statements();
    expect(statements.slice(0, 2)).toEqual([LEDGER_EXISTS, READ_LEDGER]);
    expect(statements.filter((s) => /CREATE|ALTER/.test(s))).toEqual([]);
    // The wake-time check re-armed the alarm the queue needs.
    expect(await runInDurableObject(stub, (o: LazySchema) => o.alarmTime())).toBe(due);
  });
});

describe("an object from before lazy schema", () => {
  it("gets the scheduler's missing migration at its wake, and its alarm checked", async () => {
    const stub = object("migrated", "old-scheduler");
    const due = await runInDurableObject(stub, async (o: LazySchema) => {
      o.schedule("queued", HOUR);
      const queued = o.scheduler.get("queued")!.due;
      // The scheduler's tables as the release before issue 11 left them: no migration 2.
      for (const statement of [
        "DROP TABLE _dc_alarm",
        "ALTER TABLE _dc_tasks DROP COLUMN claimed",
        "ALTER TABLE _dc_tasks DROP COLUMN retry_of",
        "DELETE FROM _dc_migrations WHERE scope = 'core:scheduler' AND version = 2",
      ]) {
        o.rawSql(statement);
      }
      await o.deleteAlarm();
      return queued;
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (o: LazySchema) => {
      expect(o.ledger()).toEqual([...SCHEDULER_LEDGER, "user@1"]);
      expect(o.tables()).toContain("_dc_alarm");
      expect(o.rawSql("SELECT name FROM pragma_table_info('_dc_tasks') WHERE name IN ('claimed', 'retry_of') ORDER BY name")).toEqual([
        { name: "claimed" },
        { name: "retry_of" },
      ]);
      // The migration ran in the wake, before the alarm check that needs it.
      expect(await o.alarmTime()).toBe(due);
      expect(o.taskIds()).toEqual(["queued"]);
    });
  });

  it("gets the store's missing failure_code column at its wake", async () => {
    const stub = env.STORE_BOX.getByName("old-store");
    await runInDurableObject(stub, (o) => {
      o.store.put(["u", 1], { email: "a@x", age: 1 });
      o.rawSql("ALTER TABLE _dc_store_indexes DROP COLUMN failure_code");
      o.rawSql("DELETE FROM _dc_migrations WHERE scope = 'core:store' AND version = 3");
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (o) => {
      await o.store.ready();
      expect(o.rawSql("SELECT name FROM pragma_table_info('_dc_store_indexes') WHERE name = 'failure_code'")).toEqual([{ name: "failure_code" }]);
      expect(o.rawSql("SELECT version FROM _dc_migrations WHERE scope = 'core:store' ORDER BY version")).toEqual([
        { version: 1 },
        { version: 2 },
        { version: 3 },
      ]);
      expect(o.store.index("byEmail").get("a@x")?.key).toEqual(["u", 1]);
    });
  });
});

describe("deleting everything", () => {
  it.each(["bare", "migrated"] as const)("this.deleteAll(): the next use creates the tables again (%s)", async (kind) => {
    const stub = object(kind, "delete-all");
    await stub.schedule("before");
    await stub.reset();
    expect(await stub.tables()).toEqual(baseTables[kind]);
    expect(await stub.schedule("after")).toBe("after");
    expect(await stub.taskIds()).toEqual(["after"]);
    expect(await stub.ledger()).toEqual([...SCHEDULER_LEDGER, ...baseLedger[kind]].sort());
  });

  it.each(["bare", "migrated"] as const)(
    "a raw ctx.storage.deleteAll() after the scheduler's tables were committed is STORAGE_RESET, then the object recovers (%s)",
    async (kind) => {
      const stub = object(kind, "raw-delete-all");
      await stub.schedule("before");
      await stub.rawDeleteAll();
      await runInDurableObject(stub, async (o: LazySchema) => {
        expect(o.attempt(() => o.schedule("refused"))).toEqual({ code: "STORAGE_RESET" });
        await turnEnds();
        expect(o.attempt(() => o.schedule("after"))).toEqual({ ok: "after" });
        expect(o.taskIds()).toEqual(["after"]);
      });
      expect(await stub.tables()).toEqual([...new Set([...baseTables[kind], ...SCHEDULER_TABLES])].sort());
    },
  );

  it("a raw ctx.storage.deleteAll() of an object that created nothing loses nothing of durable-core's", async () => {
    const stub = object("bare", "raw-delete-all-unused");
    await runInDurableObject(stub, async (o: LazySchema) => {
      o.store.put(["k", 1], "v");
      await o.rawDeleteAll();
      expect(o.attempt(() => o.schedule("after"))).toEqual({ ok: "after" });
      expect(o.attempt(() => o.store.put(["k", 2], "w"))).toEqual({ ok: undefined });
      expect(o.store.list().map((e) => e.key)).toEqual([["k", 2]]);
    });
  });

  it("a missing table in the user's own SQL on an object without a ledger is SQL_ERROR, not STORAGE_RESET", async () => {
    await runInDurableObject(object("bare", "user-missing-table"), (o: LazySchema) => {
      expect(o.attempt(() => o.sql.all`SELECT * FROM missing_table`)).toEqual({ code: "SQL_ERROR" });
    });
  });
});
