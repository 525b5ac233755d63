// The `agents` peer: Agent's schedule(), broadcast() and this.sql, used as documented.
import { Agent } from "agents";
import type { Env } from "../harness";
import { runRegisteredSide } from "../scenarios/index";
import { TaskMeter } from "./common";

export class AgentsBench extends Agent<Env> {
  /** Named `meter`, not `tasks`: agents' Agent already has a `tasks` member. */
  readonly meter = new TaskMeter();

  get dctx(): DurableObjectState {
    return this.ctx;
  }

  ping(): string {
    return "pong";
  }

  /** S6: ends this instance, so that the next request wakes a new one over the stored data. */
  evict(): void {
    this.ctx.abort("S6: wake a new instance");
  }

  runSide(scenarioId: string, sideName: string, params: unknown) {
    return runRegisteredSide(this, scenarioId, sideName, params);
  }

  onBenchTask(_payload: unknown): void {
    this.meter.fired += 1;
  }

  override async alarm(): Promise<void> {
    await this.meter.timeAlarm(() => super.alarm());
  }
}
