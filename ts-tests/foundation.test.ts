import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { DurableCoreError } from "durable-core";
import { describe, expect, it } from "vitest";

describe("DurableCore subclass", () => {
  it("runs its migrations once per object, then onStart once per wake", async () => {
    const stub = env.BASIC.getByName("migrate-once");
    expect(await stub.notes()).toEqual(["created by migration 3"]);
    const ledger = await stub.ledger();
    const user = ledger.filter((row) => row.scope === "user");
    expect(user.map((row) => row.version)).toEqual([1, 2, 3]);
    expect(user[1]!.name).toBe("wake log");
    // durable-core's own tables come with a capability's first use: this class uses none.
    expect(ledger.some((row) => row.scope.startsWith("core:"))).toBe(false);
    expect(await stub.wakes()).toBe(1);

    await evictDurableObject(stub);

    // A second wake re-reads the ledger but applies nothing: the INSERT of migration 3 did
    // not run again, the ledger rows are the same ones, and onStart ran once more.
    expect(await stub.notes()).toEqual(["created by migration 3"]);
    expect(await stub.ledger()).toEqual(ledger);
    expect(await stub.wakes()).toBe(2);
  });

  it("migrates each object independently", async () => {
    const a = env.BASIC.getByName("independent-a");
    const b = env.BASIC.getByName("independent-b");
    await a.addNote("only in a");
    expect(await a.notes()).toEqual(["created by migration 3", "only in a"]);
    expect(await b.notes()).toEqual(["created by migration 3"]);
  });

  it("answers 404 with a hint when onRequest is not overridden", async () => {
    const response = await env.PLAIN.getByName("plain").fetch("https://example.com/some/path");
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("override onRequest(request)");
  });
});

describe("a failing migration", () => {
  it("is rolled back whole, and the object refuses calls with MIGRATION_FAILED", async () => {
    const stub = env.BROKEN_MIGRATION.getByName("broken");
    await runInDurableObject(stub, async (instance) => {
      let thrown: unknown;
      try {
        instance.tables();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DurableCoreError);
      expect((thrown as DurableCoreError).code).toBe("MIGRATION_FAILED");
      expect((thrown as DurableCoreError).message).toContain("missing_table");
      expect((thrown as DurableCoreError).message).toContain("migration 2");
      // Migration 1 is kept, migration 2 left nothing behind.
      expect(instance.rawTables()).toEqual(["_dc_migrations", "kept"].concat(extraCoreTables(instance.rawTables())).sort());
      await expect(instance.fetch(new Request("https://example.com/"))).rejects.toMatchObject({ code: "MIGRATION_FAILED" });
    });
  });
});

/** Core tables the capabilities add (`_dc_*` beside the ledger). */
function extraCoreTables(tables: string[]): string[] {
  return tables.filter((t) => t.startsWith("_dc_") && t !== "_dc_migrations");
}

describe("a trap in the wasm core", () => {
  it("throws ENGINE_RESET, then the object works again with its data", async () => {
    const stub = env.BASIC.getByName("trap");
    await stub.addNote("before the trap");
    await runInDurableObject(stub, (instance) => {
      const before = instance.stats().generation;
      let thrown: unknown;
      try {
        instance.trap();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DurableCoreError);
      expect((thrown as DurableCoreError).code).toBe("ENGINE_RESET");
      expect(instance.stats().generation).toBe(before + 1);
      // The next core call gets a fresh handle in the fresh instance.
      expect(instance.coreRoundTrip()).toBe(0);
    });
    expect(await stub.notes()).toEqual(["created by migration 3", "before the trap"]);
    // Another object whose handle died with the old instance recovers too.
    const other = env.BASIC.getByName("trap-bystander");
    expect(await other.coreRoundTrip()).toBe(0);
  });
});

describe("handle lifetime", () => {
  // Thousands of calls on a shared machine: no time limit (a slow run is not a failure).
  it("keeps handle bytes and wasm memory bounded as many objects come and go", { timeout: 0 }, async () => {
    const budget = 1024 * 1024;
    await env.BASIC.getByName("many-0").setBudget(budget);
    const touch = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await env.BASIC.getByName(`many-${i}`).coreRoundTrip();
    };
    // An idle handle of this class costs about 1.2 KB (lazy schema keeps it small), so 1 MiB
    // holds about 870: the first 600 fit, the next 400 overflow the budget (below the count
    // limit of 1,024), and the last 200 are the steady state.
    await touch(0, 600);
    const first = await env.BASIC.getByName("many-0").stats();
    await touch(600, 1000);
    const second = await env.BASIC.getByName("many-0").stats();
    await touch(1000, 1200);
    const third = await env.BASIC.getByName("many-0").stats();
    expect(first.handleBytes).toBeLessThanOrEqual(budget);
    expect(second.handleBytes).toBeLessThanOrEqual(budget);
    expect(third.handleBytes).toBeLessThanOrEqual(budget);
    expect(second.handles.reduce((sum, handle) => sum + handle.bytes, 0)).toBe(second.handleBytes);
    expect(second.liveEngines).toBe(second.handles.length);
    expect(second.liveEngines).toBeLessThan(1000);
    // Memory grows while the handles fill the budget, then no more than the allocator's slack
    // (a page or two of fragmentation; a per-object leak over 200 objects would exceed it).
    const slack = 256 * 1024;
    expect(second.memoryBytes - first.memoryBytes).toBeLessThanOrEqual(budget - first.handleBytes + slack);
    expect(third.memoryBytes - second.memoryBytes).toBeLessThanOrEqual(slack / 2);
    // Most recently used first: the object that asked.
    expect(second.handles[0]!.id).toBe(env.BASIC.idFromName("many-0").toString());
    // An evicted object gets a new handle on its next call and works.
    expect(await env.BASIC.getByName("many-1").coreRoundTrip()).toBe(0);
    await env.BASIC.getByName("many-0").setBudget(32 * 1024 * 1024);
  });

  it("refuses a budget that is not a whole number of bytes of at least 1 MiB", async () => {
    for (const bytes of [0, 1024, 2 ** 20 + 0.5, Number.NaN, Infinity]) {
      const outcome = await runInDurableObject(env.BASIC.getByName("budget"), (instance) => {
        try {
          instance.setBudget(bytes);
          return "accepted";
        } catch (error) {
          return `${(error as { code?: string }).code}: ${(error as Error).message}`;
        }
      });
      expect(outcome).toMatch(/^ARGUMENT: setEngineBudget/);
    }
  });
});
