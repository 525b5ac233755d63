// The scenario registry: the Worker drives these, and every bench object looks its side up here.
import type { Scenario } from "../harness";
import { NOT_YET } from "../harness";
import { s1 } from "./s1-schedule";
import { s2 } from "./s2-run-due";
import { s2Probes } from "./s2-probes";
import { s3 } from "./s3-publish";
import { s3Probes } from "./s3-probes";
import { s4 } from "./s4-storage";
import { s4Probes } from "./s4-probes";
import { s5 } from "./s5-sql";
import { s5Probes } from "./s5-probes";
import { s6 } from "./s6-cold";
import { s6Probes } from "./s6-probes";
import { s6Wake } from "./s6-wake";
import { s7 } from "./s7-memory";

export const SCENARIOS: Scenario[] = [s1, s2, s2Probes, s3, s3Probes, s4, s4Probes, s5, s5Probes, s6, s6Probes, s6Wake, s7];

export function scenarioById(id: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (!scenario) throw new Error(`unknown scenario ${id}`);
  return scenario;
}

/** Called by each object's `runSide` RPC method: runs the side's function on that object. */
export async function runRegisteredSide(obj: unknown, scenarioId: string, sideName: string, params: unknown) {
  const side = scenarioById(scenarioId).sides[sideName];
  if (side === undefined || side === NOT_YET || !side.run) {
    throw new Error(`${scenarioId} has no in-object side "${sideName}"`);
  }
  return side.run(obj, params);
}
