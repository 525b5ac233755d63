import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expectCode } from "durable-core/testing";
import { describe, expect, it } from "vitest";

// Vitest fails the whole run on an unhandled rejection: each RPC case below also proves that
// expectCode leaves none behind (the first version called the callable RPC promise and did).
describe("expectCode", () => {
  const inventory = () => env.SQL_INVENTORY.getByName("expect-code");

  it("resolves with the code and message of a DurableCoreError thrown across RPC", async () => {
    const stub = inventory();
    const { code, message } = await expectCode(stub.addItem(1, "widget", undefined as unknown as number), "SQL_BIND");
    expect(code).toBe("SQL_BIND");
    expect(message).toMatch(/undefined/);
    expect(await stub.stock(1)).toBeUndefined();
  });

  it("fails, naming both codes, when the call throws another code", async () => {
    const failure = await expectCode(inventory().addItem(2, "w", undefined as unknown as number), "SQL_NOT_ONE").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/code SQL_NOT_ONE, got a DurableCoreError with code SQL_BIND/);
  });

  it("fails when the call succeeds", async () => {
    const failure = await expectCode(inventory().stock(404), "SQL_BIND").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((failure as Error).message).toMatch(/but the call succeeded with undefined/);
  });

  it("does not take another library's coded error for a durable-core one", async () => {
    const foreign = Object.assign(new Error("ENOENT: no such file"), { code: "SQL_BIND" });
    const failure = await expectCode(() => Promise.reject(foreign), "SQL_BIND").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((failure as Error).message).toMatch(/an error without a durable-core code/);
  });

  it("calls a function and catches what it throws synchronously, inside the object", async () => {
    await runInDurableObject(inventory(), async (obj) => {
      await expectCode(() => obj.sql.one`SELECT 1 WHERE 0`, "SQL_NOT_ONE");
    });
  });
});
