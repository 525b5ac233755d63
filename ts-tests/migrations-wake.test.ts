// Review of branch `cold` (a class with `static migrations` asks sqlite_master whether the ledger
// exists, and records into a ledger known to exist with a plain INSERT): migrations that fail,
// are fixed in a later deploy, change, and objects wiped or left by an older release.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LazySchema } from "./fixtures/schema.js";

const READ_LEDGER = "SELECT scope, version, checksum FROM _dc_migrations ORDER BY scope, version";
const LEDGER_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_dc_migrations'";
const LEDGER_DDL =
  "CREATE TABLE _dc_migrations (scope TEXT NOT NULL, version INTEGER NOT NULL, name TEXT, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (scope, version)) WITHOUT ROWID";
const STORE_LEDGER = ["core:store@1", "core:store@2", "core:store@3"];
const turnEnds = () => new Promise((resolve) => setTimeout(resolve, 0));

const M1 = "CREATE TABLE a (x)";
const M2 = "CREATE TABLE b (y)";
const BAD = "CREATE TABLE half (x); INSERT INTO missing_table VALUES (1)";

/** A later deploy: the class's migrations from the next wake on (set through another object). */
const deploy = (list: string[]) => env.LAZY_SCHEMA_EVOLVING.getByName("deployer").setMigrations(list);
const deployIndexed = (list: string[]) => env.LAZY_SCHEMA_EVOLVING_INDEXED.getByName("deployer").setMigrations(list);
const evolving = (name: string) => env.LAZY_SCHEMA_EVOLVING.getByName(name);

/** The code a capability use throws (the object's typed refusal), or "ok". */
const refusal = (stub: DurableObjectStub<LazySchema>) =>
  runInDurableObject(stub, (o: LazySchema) => {
    const result = o.attempt(() => o.sql.all`SELECT 1 AS one`);
    return "code" in result ? result.code : "ok";
  });

describe("a failing user migration at the wake of a class with migrations", () => {
  it("first migration of a fresh object: nothing left, refused, then fixed by a later deploy", async () => {
    await deploy([BAD]);
    const stub = evolving("first-fails");
    expect(await refusal(stub)).toBe("MIGRATION_FAILED");
    expect(await stub.tables()).toEqual([]);
    // Still refused at the next wake, and still nothing left.
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("MIGRATION_FAILED");
    expect(await stub.tables()).toEqual([]);
    await deploy([M1]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("ok");
    expect(await stub.ledger()).toEqual(["user@1"]);
    expect(await stub.tables()).toEqual(["_dc_migrations", "a"]);
  });

  it("first pending migration of an object with earlier ones applied: rolled back alone, then fixed", async () => {
    await deploy([M1]);
    const stub = evolving("second-fails-later");
    expect(await stub.ledger()).toEqual(["user@1"]);
    await deploy([M1, BAD]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("MIGRATION_FAILED");
    expect(await stub.tables()).toEqual(["_dc_migrations", "a"]);
    expect(await stub.ledger()).toEqual(["user@1"]);
    await deploy([M1, M2]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("ok");
    // The ledger exists: looked up, read, then the migration and a plain INSERT of its row.
    const statements = await stub.statements();
    expect(statements.slice(0, 3)).toEqual([LEDGER_EXISTS, READ_LEDGER, M2]);
    expect(statements[3]).toMatch(/^INSERT INTO _dc_migrations /);
    expect(await stub.failedStatements()).toBe(0);
    expect(await stub.ledger()).toEqual(["user@1", "user@2"]);
    expect(await stub.tables()).toEqual(["_dc_migrations", "a", "b"]);
  });

  it("second migration of a fresh object: the first stays applied, the second leaves nothing", async () => {
    await deploy([M1, BAD]);
    const stub = evolving("second-fails-fresh");
    expect(await refusal(stub)).toBe("MIGRATION_FAILED");
    expect(await stub.tables()).toEqual(["_dc_migrations", "a"]);
    expect(await stub.ledger()).toEqual(["user@1"]);
    await deploy([M1, M2]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("ok");
    expect(await stub.ledger()).toEqual(["user@1", "user@2"]);
  });

  it("a changed or removed migration is refused, and nothing is written", async () => {
    await deploy([M1]);
    const stub = evolving("changed");
    expect(await stub.ledger()).toEqual(["user@1"]);
    await deploy(["CREATE TABLE a (x, z)"]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("MIGRATION_CHANGED");
    await deploy([]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("MIGRATION_MISSING");
    await deploy([M1, M2]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("ok");
    expect(await stub.ledger()).toEqual(["user@1", "user@2"]);
    expect(await stub.rawSql("SELECT name FROM pragma_table_info('a') ORDER BY cid")).toEqual([{ name: "x" }]);
  });
});

describe("a class with migrations and static indexes", () => {
  it("fresh: the store's tables and the user's migration, no failing statement", async () => {
    await deployIndexed([M1]);
    const stub = env.LAZY_SCHEMA_EVOLVING_INDEXED.getByName("fresh");
    expect(await stub.failedStatements()).toBe(0);
    expect((await stub.statements())[0]).toBe(LEDGER_EXISTS);
    expect(await stub.ledger()).toEqual([...STORE_LEDGER, "user@1"]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("ok");
    expect(await stub.failedStatements()).toBe(0);
  });

  it("a failing first user migration keeps the store's committed tables; fixed later, the store works", async () => {
    await deployIndexed([BAD]);
    const stub = env.LAZY_SCHEMA_EVOLVING_INDEXED.getByName("first-fails");
    expect(await refusal(stub)).toBe("MIGRATION_FAILED");
    expect(await stub.ledger()).toEqual(STORE_LEDGER);
    expect(await stub.tables()).not.toContain("half");
    await deployIndexed([M1]);
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (o: LazySchema) => {
      o.store.put(["item", 1], { owner: "ada" });
      expect(o.store.index("byOwner").get("ada")?.key).toEqual(["item", 1]);
      expect(o.ledger()).toEqual([...STORE_LEDGER, "user@1"]);
    });
  });
});

describe("an object wiped or left by an older release, woken by a class with migrations", () => {
  it("raw ctx.storage.deleteAll(), then a wake: migrations run again from nothing", async () => {
    await deploy([M1, M2]);
    const stub = evolving("wiped-then-woken");
    expect(await stub.ledger()).toEqual(["user@1", "user@2"]);
    await stub.rawDeleteAll();
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("ok");
    expect(await stub.ledger()).toEqual(["user@1", "user@2"]);
    expect(await stub.tables()).toEqual(["_dc_migrations", "a", "b"]);
    expect(await stub.failedStatements()).toBe(0);
  });

  it("raw ctx.storage.deleteAll() inside an instance: STORAGE_RESET, then the migrations run again", async () => {
    await deploy([M1]);
    const stub = evolving("wiped-in-instance");
    await runInDurableObject(stub, async (o: LazySchema) => {
      await o.rawDeleteAll();
      expect(o.attempt(() => o.sql.all`SELECT * FROM a`)).toEqual({ code: "STORAGE_RESET" });
      await turnEnds();
      expect(o.attempt(() => o.sql.all`SELECT * FROM a`)).toEqual({ ok: [] });
      expect(o.ledger()).toEqual(["user@1"]);
    });
  });

  it("a ledger table with no rows (as an older release could leave it): the migration is recorded in it", async () => {
    await deploy([]);
    const stub = evolving("empty-ledger");
    await stub.rawSql(LEDGER_DDL);
    await deploy([M1]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("ok");
    const statements = await stub.statements();
    expect(statements.slice(0, 3)).toEqual([LEDGER_EXISTS, READ_LEDGER, M1]);
    expect(statements[3]).toMatch(/^INSERT INTO _dc_migrations /);
    expect(await stub.ledger()).toEqual(["user@1"]);
  });

  it("ledger rows written as main's build does (raw SQL), then woken: up to date, nothing re-applied", async () => {
    await deploy([M1]);
    const donor = evolving("old-donor");
    const rows = await donor.rawSql("SELECT scope, version, name, checksum, applied_at FROM _dc_migrations");
    const stub = evolving("old-layout");
    await deploy([]);
    await evictDurableObject(stub).catch(() => undefined);
    await stub.rawSql(LEDGER_DDL);
    await stub.rawSql(M1);
    for (const row of rows) {
      await stub.rawSql(`INSERT INTO _dc_migrations VALUES ('${row.scope}', ${row.version}, NULL, '${row.checksum}', ${row.applied_at})`);
    }
    await deploy([M1, M2]);
    await evictDurableObject(stub);
    expect(await refusal(stub)).toBe("ok");
    expect(await stub.ledger()).toEqual(["user@1", "user@2"]);
    expect(await stub.tables()).toEqual(["_dc_migrations", "a", "b"]);
  });
});
