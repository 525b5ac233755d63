// The `partyserver` peer: a hibernating Server whose broadcast() is measured.
import { Server } from "partyserver";
import type { Env } from "../harness";
import { runRegisteredSide } from "../scenarios/index";

export class PartyBench extends Server<Env> {
  static override options = { hibernate: true };

  ping(): string {
    return "pong";
  }

  runSide(scenarioId: string, sideName: string, params: unknown) {
    return runRegisteredSide(this, scenarioId, sideName, params);
  }
}
