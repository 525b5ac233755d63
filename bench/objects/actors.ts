// The `@cloudflare/actors` peer: Actor with its alarms, sockets and sql helpers.
import { Actor } from "@cloudflare/actors";
import type { Env } from "../harness";
import { runRegisteredSide } from "../scenarios/index";
import { TaskMeter } from "./common";

export class ActorsBench extends Actor<Env> {
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

  protected override shouldUpgradeSocket(_request: Request): boolean {
    return true;
  }

  override async alarm(alarmInfo?: AlarmInvocationInfo): Promise<void> {
    await this.meter.timeAlarm(() => super.alarm(alarmInfo));
  }
}
