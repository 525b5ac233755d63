// Model-based test of the scheduler: random sequences of operations and faults run side by side
// against the real scheduler (in workerd) and a small reference model of the queue, with the
// guarantees G1–G7 (README, "Scheduler") checked against the model and the stored rows after
// every step. A failure names its seed: `MODEL_SEED=<seed> npx vitest run
// ts-tests/scheduler-model.test.ts` replays exactly that sequence. `npm run soak` runs thousands.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { runDueTasks } from "durable-core/testing";
import { expect, it } from "vitest";
import type { ModelOp, Outcome, Snapshot } from "./fixtures/scheduler-model.js";

const SEQUENCES = Number(__MODEL_SEQUENCES__) || 200;
const REPLAY = __MODEL_SEED__ === "" ? undefined : Number(__MODEL_SEED__);
const STEPS = 10;
const IDS = ["a", "b", "c", "d", "e"];

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Def {
  v: number;
  kind: "at" | "every";
}

/** The reference model: what the queue must hold, given the operations and the runs seen. */
class Model {
  live = new Map<string, Def>();
  dead = new Map<string, Def>();
  /** Versions cancelled or replaced: none may start afterwards (G4, G5). */
  retired = new Set<number>();
  /** One-shot versions that must end, succeeded or dead (G1). */
  owed = new Set<number>();
  ended = new Set<number>();
  seq = 0;

  set(id: string, def: Def): void {
    const previous = this.live.get(id);
    if (previous !== undefined && previous.v !== def.v) this.retired.add(previous.v);
    this.retired.delete(def.v);
    this.live.set(id, def);
    if (def.kind === "at") this.owed.add(def.v);
  }

  remove(id: string): void {
    const previous = this.live.get(id);
    if (previous !== undefined) this.retired.add(previous.v);
    this.live.delete(id);
  }

  /** Replays what the handlers did, in the order they ran, then the dead letters they left. */
  ingest(snapshot: Omit<Snapshot, "alarm" | "now">): void {
    for (const entry of snapshot.log) {
      this.seq = Math.max(this.seq, entry.seq);
      expect(this.retired.has(entry.v), `G4/G5: version ${entry.v} of ${entry.id} ran after it was replaced or cancelled`).toBe(false);
      const current = this.live.get(entry.id);
      if (entry.ok === 1 && entry.arg !== null) {
        // reRegister: another (or the same) task replaced from inside the handler.
        const other = JSON.parse(entry.arg) as { id: string; v: number };
        if (current?.v === entry.v && current.kind === "at" && other.id !== entry.id) this.endOneShot(entry.id, entry.v);
        else if (current?.v === entry.v && current.kind === "at") this.ended.add(entry.v);
        this.set(other.id, { v: other.v, kind: "at" });
      } else if (entry.ok === 1) {
        if (current?.v === entry.v && current.kind === "at") this.endOneShot(entry.id, entry.v);
      } else if (entry.arg !== null) {
        const side = JSON.parse(entry.arg) as { id: string; v: number };
        this.set(side.id, { v: side.v, kind: "at" });
      }
    }
    for (const letter of snapshot.dead) {
      const known = this.dead.get(letter.id);
      if (known?.v === letter.v) continue;
      const current = this.live.get(letter.id);
      const kind = current?.v === letter.v ? current.kind : (known?.kind ?? "at");
      this.dead.set(letter.id, { v: letter.v, kind });
      this.ended.add(letter.v);
      if (current?.v === letter.v && current.kind === "at") {
        this.live.delete(letter.id);
      }
    }
  }

  endOneShot(id: string, v: number): void {
    this.live.delete(id);
    this.ended.add(v);
  }
}

function stub(name: string) {
  // A stub of an aborted object stays broken: every call takes a fresh one.
  return env.MODEL_QUEUE.getByName(name);
}

async function attempt<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch {
    return undefined;
  }
}

/** Runs `step` with aborting handlers armed, then disarms them (retrying past a reset). */
async function withAborts(name: string, step: () => Promise<unknown>): Promise<void> {
  await stub(name).armAborts(true);
  await attempt(step());
  for (let i = 0; ; i++) {
    try {
      await stub(name).armAborts(false);
      return;
    } catch (error) {
      if (i > 20) throw error;
    }
  }
}

async function check(name: string, model: Model, label: string): Promise<Snapshot> {
  const snapshot = await stub(name).snapshot(model.seq);
  model.ingest(snapshot);
  const stored = new Map(snapshot.tasks.map((t) => [t.id, t]));
  const expected = [...model.live.entries()].map(([id, d]) => `${id}:v${d.v}:${d.kind}`).sort();
  const actual = snapshot.tasks.map((t) => `${t.id}:v${t.v}:${t.kind}`).sort();
  // G1 (nothing lost or invented), G4 (a replacement is never deleted), G6 (recurring tasks stay).
  expect(actual, `${label}: stored tasks`).toEqual(expected);
  expect(snapshot.dead.map((d) => `${d.id}:v${d.v}`).sort(), `${label}: dead letters`).toEqual(
    [...model.dead.entries()].map(([id, d]) => `${id}:v${d.v}`).sort(),
  );
  // G2: armed at or before the earliest due task while tasks remain (a past time is stored
  // by the platform as the moment it was set, and fires at once).
  if (stored.size > 0) {
    const earliest = Math.min(...snapshot.tasks.map((t) => t.due));
    expect(snapshot.alarm, `${label}: G2 alarm armed`).not.toBeNull();
    expect(snapshot.alarm!, `${label}: G2 alarm at or before ${earliest}`).toBeLessThanOrEqual(Math.max(earliest, snapshot.now));
  }
  return snapshot;
}

async function sequence(seed: number): Promise<void> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const name = `model-${seed}-${REPLAY === undefined ? "run" : "replay"}`;
  const model = new Model();
  let version = 0;
  const trace: string[] = [];
  for (let step = 0; step < STEPS; step++) {
    const roll = random();
    const id = pick(IDS);
    let label = "";
    if (roll < 0.3) {
      const op: ModelOp = {
        op: "schedule",
        id,
        kind: random() < 0.25 ? "every" : "at",
        ms: 0,
        v: ++version,
        attempts: 1 + Math.floor(random() * 3),
      };
      op.ms = op.kind === "every" ? 1000 + Math.floor(random() * 4000) : Math.floor(random() * 4000) - 1000;
      if (random() < 0.25) op.rollback = pick(["sql", "store", "raw"] as const);
      label = `schedule ${JSON.stringify(op)}`;
      const { before } = await stub(name).apply(op, model.seq);
      model.ingest(before);
      if (op.rollback === undefined) {
        const current = model.live.get(id);
        // An unchanged every() registration keeps its place; its payload is still updated.
        model.set(id, { v: op.v!, kind: op.kind! });
        if (current !== undefined && current.kind === "every" && op.kind === "every") model.retired.add(current.v);
      }
    } else if (roll < 0.4) {
      const rollback = random() < 0.3 ? pick(["sql", "store", "raw"] as const) : undefined;
      label = `cancel ${id}${rollback ? ` in ${rollback} rollback` : ""}`;
      const { before, result: existed } = await stub(name).apply({ op: "cancel", id, rollback }, model.seq);
      model.ingest(before);
      if (rollback === undefined) {
        expect(existed, `${label}: cancel result`).toBe(model.live.has(id));
        model.remove(id);
      }
    } else if (roll < 0.55) {
      const outcome = pick(["ok", "throw", "scheduleThenThrow", "abort", "reRegister"] as const satisfies readonly Outcome[]);
      const arg = outcome === "reRegister" || outcome === "scheduleThenThrow" ? { id: pick(IDS), v: ++version } : undefined;
      label = `behave ${id} ${outcome} ${JSON.stringify(arg)}`;
      await stub(name).behave(id, outcome, arg);
    } else if (roll < 0.62) {
      const webSockets = pick(["hibernate", "close"] as const);
      label = `evict (${webSockets})`;
      // Not running (already evicted, or never woken since) is fine: it is gone either way.
      await attempt(evictDurableObject(stub(name), { webSockets }));
    } else if (roll < 0.7) {
      label = "real alarm";
      await withAborts(name, () => runDurableObjectAlarm(stub(name)));
    } else if (roll < 0.77) {
      label = `retryFailed ${id}`;
      const { before, result: retried } = await stub(name).apply({ op: "retryFailed", id }, model.seq);
      model.ingest(before);
      const dead = model.dead.get(id);
      expect(retried, `${label}: result`).toBe(dead !== undefined);
      if (dead !== undefined) {
        model.dead.delete(id);
        const live = model.live.get(id);
        if (!(dead.kind === "every" && live?.kind === "every")) model.set(id, dead);
      }
    } else {
      const horizon = Math.floor(random() * 6000);
      const maxRuns = random() < 0.3 ? 1 + Math.floor(random() * 5) : undefined;
      label = `runDueTasks +${horizon} ms${maxRuns ? ` maxRuns ${maxRuns}` : ""}`;
      const until = Date.now() + horizon;
      let runs: { id: string }[] | undefined;
      await withAborts(name, async () => {
        runs = await runDueTasks(stub(name), { until, maxRuns });
      });
      if (runs !== undefined && maxRuns !== undefined) {
        // G7: maxRuns is exact.
        expect(runs.length, `${label}: G7 maxRuns`).toBeLessThanOrEqual(maxRuns);
      }
    }
    trace.push(label);
    if (REPLAY !== undefined) console.log(`step ${step}: ${label}`, JSON.stringify(await stub(name).snapshot(0)));
    await check(name, model, `seed ${seed} step ${step} (${label}); steps before: ${trace.slice(0, -1).join("; ")}`);
  }
  // G1 and G3: with every handler well behaved again, every one-shot ends, succeeded or dead,
  // and no task that ended its invocation stalls the others.
  await stub(name).allOk();
  for (let i = 0; i < 30; i++) {
    await attempt(runDueTasks(stub(name), { until: Date.now() + 6000 }));
    const snapshot = await check(name, model, `seed ${seed} drain ${i}`);
    if (snapshot.tasks.every((t) => t.kind === "every")) break;
  }
  const left = (await stub(name).snapshot(model.seq)).tasks.filter((t) => t.kind === "at");
  expect(left, `seed ${seed}: G1 one-shots left after the drain`).toEqual([]);
  for (const v of model.owed) {
    if (model.retired.has(v)) continue;
    expect(model.ended.has(v), `seed ${seed}: G1 version ${v} neither succeeded nor reached dead letters`).toBe(true);
  }
}

/** Sequences per test: each test reports on its own, so a long soak shows its progress. */
const CHUNK = 25;
const seeds = REPLAY === undefined ? Array.from({ length: SEQUENCES }, (_, i) => i + 1) : [REPLAY];
for (let first = 0; first < seeds.length; first += CHUNK) {
  const chunk = seeds.slice(first, first + CHUNK);
  it(`sequences with seeds ${chunk[0]}–${chunk.at(-1)} keep G1–G7 against the model`, async () => {
    for (const seed of chunk) {
      try {
        await sequence(seed);
      } catch (error) {
        throw new Error(`model-based test failed for seed ${seed}; replay it with MODEL_SEED=${seed}: ${String(error)}`, {
          cause: error,
        });
      }
    }
    // No time limit of its own (a loaded machine is slow, not wrong): the largest timer delay.
  }, 2_147_483_647);
}
