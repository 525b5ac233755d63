// S1 — schedule 2,000 one-shot tasks (due in the next hours, so none fires during the run).
import type { ActorsBench } from "../objects/actors";
import type { AgentsBench } from "../objects/agents";
import type { RawBench } from "../objects/raw";
import type { OursBench } from "../ours";
import { type Scenario, seeded, timed, NARROW_TARGET_ROUNDS } from "../harness";

export interface S1Params {
  n: number;
}

/** The same due times for every side: 1 to 2 hours ahead, in random order. */
function dueTimes(n: number): number[] {
  const random = seeded(1);
  const base = Date.now() + 3_600_000;
  return Array.from({ length: n }, () => base + Math.floor(random() * 3_600_000));
}

export const s1: Scenario<S1Params> = {
  id: "S1",
  title: "schedule 2,000 one-shot tasks",
  sizes: { full: { n: 2000 }, smoke: { n: 20 } },
  metrics: [{ key: "schedule", label: "schedule n tasks (ms)" }],
  baseline: "raw",
  fullRounds: NARROW_TARGET_ROUNDS,
  batches: 4,
  sides: {
    ours: {
      label: "durable-core scheduler.at()",
      binding: "OURS",
      async run(obj: OursBench, p) {
        const due = dueTimes(p.n);
        const ms = await timed(async () => {
          for (let i = 0; i < p.n; i++) obj.scheduler.at(due[i]!, "onBenchTask", { i });
        });
        return { timings: { schedule: ms } };
      },
    },
    agents: {
      label: "agents Agent.schedule()",
      binding: "AGENTS",
      async run(obj: AgentsBench, p) {
        const due = dueTimes(p.n);
        const ms = await timed(async () => {
          for (let i = 0; i < p.n; i++) await obj.schedule(new Date(due[i]), "onBenchTask", { i });
        });
        return { timings: { schedule: ms } };
      },
    },
    actors: {
      label: "@cloudflare/actors alarms.schedule()",
      binding: "ACTORS",
      async run(obj: ActorsBench, p) {
        const due = dueTimes(p.n);
        const ms = await timed(async () => {
          for (let i = 0; i < p.n; i++) await obj.alarms.schedule(new Date(due[i]), "onBenchTask", { i });
        });
        return { timings: { schedule: ms } };
      },
    },
    raw: {
      label: "raw INSERT + getAlarm/setAlarm",
      binding: "RAW",
      async run(obj: RawBench, p) {
        const due = dueTimes(p.n);
        const ms = await timed(async () => {
          obj.ensureTasksTable();
          for (let i = 0; i < p.n; i++) await obj.schedule(due[i], "onBenchTask", { i });
        });
        return { timings: { schedule: ms } };
      },
    },
  },
  notes: [
    "Tasks are due 1 to 2 hours ahead in random order, so none fires during the run. The raw side is a straightforward scheduler: `INSERT`, then `getAlarm()` and `setAlarm()` when the new task is due earlier.",
    "Each object is fresh (a sample is the mean of 4 of them), and both sides create their tables inside the timer: the raw side runs its `CREATE TABLE IF NOT EXISTS` first, durable-core creates the scheduler's tables at its first use (the first `this.scheduler`). That is the work a fresh object does before its first task on either side; neither is left out of the timer while the other's is in it.",
    "Reference on this kind of machine (issue 3): agents ≈ 229 ms, @cloudflare/actors ≈ 133 ms, raw ≈ 29 ms.",
  ],
  targets: [
    { metric: "schedule", against: "agents", maxTimeRatio: 1 / 5, text: "≥ 5× agents' throughput" },
    { metric: "schedule", against: "raw", maxTimeRatio: 1.1, text: "≤ 1.10× raw (issue 15)" },
  ],
};
