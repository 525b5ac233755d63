// Raw `DurableObject` baselines, written the straightforward way a user would without a library.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../harness";
import { runRegisteredSide } from "../scenarios/index";
import { ITEMS_TABLE, TaskMeter } from "./common";

const TASKS_TABLE =
  "CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, due INTEGER NOT NULL, method TEXT NOT NULL, payload TEXT NOT NULL);" +
  "CREATE INDEX IF NOT EXISTS tasks_due ON tasks(due)";

export class RawBench extends DurableObject<Env> {
  /** Named `meter`, not `tasks`: agents' Agent already has a `tasks` member. */
  readonly meter = new TaskMeter();

  get dctx(): DurableObjectState {
    return this.ctx;
  }

  ping(): string {
    return "pong";
  }

  runSide(scenarioId: string, sideName: string, params: unknown) {
    return runRegisteredSide(this, scenarioId, sideName, params);
  }

  ensureTasksTable(): void {
    this.ctx.storage.sql.exec(TASKS_TABLE);
  }

  /** The straightforward one-shot scheduler: INSERT, then move the alarm earlier if needed. */
  async schedule(due: number, method: string, payload: unknown): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT INTO tasks (due, method, payload) VALUES (?, ?, ?)",
      due,
      method,
      JSON.stringify(payload),
    );
    const current = await this.ctx.storage.getAlarm();
    if (current === null || due < current) await this.ctx.storage.setAlarm(due);
  }

  onBenchTask(_payload: unknown): void {
    this.meter.fired += 1;
  }

  /** Runs every due task in due order, deletes it, then re-arms to the earliest remaining one. */
  override async alarm(): Promise<void> {
    await this.meter.timeAlarm(async () => {
      const sql = this.ctx.storage.sql;
      const due = sql.exec<{ id: number; method: string; payload: string }>(
        "SELECT id, method, payload FROM tasks WHERE due <= ? ORDER BY due",
        Date.now(),
      ).toArray();
      for (const task of due) {
        const handler = (this as unknown as Record<string, (p: unknown) => unknown>)[task.method];
        await handler.call(this, JSON.parse(task.payload));
        sql.exec("DELETE FROM tasks WHERE id = ?", task.id);
      }
      const next = sql.exec<{ due: number | null }>("SELECT MIN(due) AS due FROM tasks").one().due;
      if (next !== null) await this.ctx.storage.setAlarm(next);
    });
  }

  override async fetch(_request: Request): Promise<Response> {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    try {
      ws.close(code === 1005 ? 1000 : code, "closing");
    } catch {
      // already closed
    }
  }
}

/** S6 baseline: an empty object. */
export class RawCold extends DurableObject<Env> {
  ping(): string {
    return "pong";
  }

  /** S6: ends this instance, so that the next request wakes a new one over the stored data. */
  evict(): void {
    this.ctx.abort("S6: wake a new instance");
  }
}

/** S6: a raw object that creates its one table in the constructor, as most DOs do. */
export class RawColdSchema extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(ITEMS_TABLE);
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
