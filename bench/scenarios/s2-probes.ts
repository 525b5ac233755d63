// S2P — probes of S2: what a handler's own scheduler call costs while the alarm runs a batch.
// Not part of a full run:
//
//   bash scripts/bench.sh --only S2P --rounds 9
//
// S2's run of 2,000 past-due tasks (batches of 1,000), with three handlers:
// - `plain`: S2's own handler (counts, nothing else);
// - `followUp`: each handler schedules one follow-up task an hour ahead (`this.scheduler.at`),
//   the common pattern of a handler that schedules its next step;
// - `get`: each handler reads a task (`this.scheduler.get`), the cheapest scheduler call;
// - `get10`: each handler reads a task ten times: one acknowledgement to write per handler, as
//   in `get`, but ten reads of the marks, so what a read of the marks costs stands out.
// Every scheduler call made during a batch first has the core read the batch's marks (the
// facade's record of which deliveries started and succeeded, see `BatchMarks` in
// src/scheduler/delivery.rs), so `followUp - plain` and `get - plain` are what those reads cost
// on top of the call itself. Findings: docs/reports/s2-scheduler.md.
import type { OursBench } from "../ours";
import type { Scenario } from "../harness";
import type { S2Params } from "./s2-run-due";

/** Due times 60 s in the past, distinct and increasing (as S2's). */
function pastDueTimes(n: number): number[] {
  const base = Date.now() - 60_000;
  return Array.from({ length: n }, (_, i) => base + i);
}

/** The task handlers of OursBench that S2P's sides run. */
type ProbeHandler = "onBenchTask" | "onBenchFollowUp" | "onBenchGet" | "onBenchGet10";

/** An S2 side whose tasks run `method`. */
function runDue(label: string, method: ProbeHandler) {
  return {
    label,
    binding: "OURS" as const,
    async run(obj: OursBench, p: S2Params) {
      const due = pastDueTimes(p.n);
      await obj.dctx.blockConcurrencyWhile(async () => {
        for (let i = 0; i < p.n; i++) obj.scheduler.at(due[i]!, method, { i });
        obj.meter.reset();
      });
      return obj.meter.settle(p.n, p.timeoutMs, obj.dctx.storage);
    },
  };
}

export const s2Probes: Scenario<S2Params> = {
  id: "S2P",
  title: "probes of S2: 2,000 due tasks whose handlers each call the scheduler once",
  sizes: { full: { n: 2000, timeoutMs: 10_000 }, smoke: { n: 20, timeoutMs: 1500 } },
  metrics: [{ key: "run", label: "alarm handler time until all n fired (ms)" }],
  baseline: "plain",
  probeOnly: true,
  sides: {
    plain: runDue("S2's handler (counts)", "onBenchTask"),
    followUp: runDue("handler schedules one follow-up (scheduler.at)", "onBenchFollowUp"),
    get: runDue("handler reads a task (scheduler.get)", "onBenchGet"),
    get10: runDue("handler reads a task 10 times (scheduler.get)", "onBenchGet10"),
  },
  notes: [],
};
