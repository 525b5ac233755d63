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
