// The `durable-utils` peer: SQLSchemaMigrations run once per wake in the constructor (S6).
import { DurableObject } from "cloudflare:workers";
import { SQLSchemaMigrations } from "durable-utils/sql-migrations";
import type { Env } from "../harness";
import { ITEMS_TABLE } from "./common";

export class MigrationsCold extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const migrations = new SQLSchemaMigrations({
      doStorage: ctx.storage as never,
      migrations: [{ idMonotonicInc: 1, description: "items", sql: ITEMS_TABLE }],
    });
    ctx.blockConcurrencyWhile(async () => {
      await migrations.runAll();
    });
  }

  ping(): string {
    return "pong";
  }

  /** S6: ends this instance, so that the next request wakes a new one over the stored data. */
  evict(): void {
    this.ctx.abort("S6: wake a new instance");
  }
}
