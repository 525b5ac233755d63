// Shared shapes of the benchmark harness. A scenario (one file in scenarios/) lists its
// metrics and its sides; a side names the Durable Object class it runs in and a function
// that runs inside that object and returns milliseconds per metric.

export interface Env {
  RAW: DurableObjectNamespace;
  RAW_COLD: DurableObjectNamespace;
  RAW_COLD_SCHEMA: DurableObjectNamespace;
  RAW_COLD_BCW: DurableObjectNamespace;
  RAW_COLD_READ: DurableObjectNamespace;
  RAW_COLD_SAME: DurableObjectNamespace;
  RAW_COLD_FEWER: DurableObjectNamespace;
  RAW_COLD_LOOKUP: DurableObjectNamespace;
  RAW_COLD_TXN: DurableObjectNamespace;
  RAW_COLD_ROW: DurableObjectNamespace;
  RAW_COLD_TWO: DurableObjectNamespace;
  RAW_COLD_VIEW: DurableObjectNamespace;
  AGENTS: DurableObjectNamespace;
  PARTY: DurableObjectNamespace;
  ACTORS: DurableObjectNamespace;
  MIGRATIONS_COLD: DurableObjectNamespace;
  OURS: DurableObjectNamespace;
  OURS_COLD: DurableObjectNamespace;
  OURS_INDEXED: DurableObjectNamespace;
  OURS_COLD_EMPTY: DurableObjectNamespace;
  OURS_COLD_TABLE: DurableObjectNamespace;
}

export type Binding = keyof Env;

/** Milliseconds per metric key, measured inside the object (or by the caller for cold starts). */
export type Timings = Record<string, number>;

/**
 * What one sample of one side produced. `failure` is a measured outcome of the side under
 * test (for example a peer that never fires past-due tasks): it is reported in the table as
 * what it is, never as a time. A thrown error is a harness bug and fails the run.
 */
export interface SampleResult {
  timings: Timings;
  failure?: string;
  /** Extra facts worth printing (alarm runs, rows read...). */
  info?: Record<string, number | string>;
}

export interface Metric {
  key: string;
  label: string;
  /** What a sample's figure counts: milliseconds unless said otherwise. */
  unit?: "ms" | "bytes";
}

export interface Side<Obj = any, P = any> {
  /** Short row label, e.g. "agents Agent.schedule()". */
  label: string;
  /** The namespace whose class runs this side. */
  binding: Binding;
  /** Metric keys this side produces (default: all of the scenario's). */
  metrics?: string[];
  /** Runs inside the object (`obj` is the Durable Object instance). */
  run?: (obj: Obj, params: P) => Promise<SampleResult> | SampleResult;
}

export interface TargetCheck {
  metric: string;
  /** Side the ratio is taken against (none for a `maxValue` target). */
  against?: string;
  /** ours' median time / against's median time must be at most this. */
  maxTimeRatio?: number;
  /** The ratio must be below `maxTimeRatio`, not equal to it: "faster than" a peer, where a tie is not. */
  strict?: boolean;
  /** ours' median time minus against's must be at most this many ms (per unit reported). */
  maxExtraMs?: number;
  /** ours' median figure (in the metric's unit) must be at most this. */
  maxValue?: number;
  text: string;
}

/**
 * The full run's rounds for scenarios whose samples last tens of milliseconds (S2; S1, S4 and
 * S5 take {@link NARROW_TARGET_ROUNDS}).
 * On this kind of shared VM a side's samples of one run spread over 2–3× (a GC, a storage
 * flush, the other core's work land in some), and with nine rounds the ratio of two medians
 * moved by up to 0.2 between back-to-back runs of the same build. More rounds narrow that, but
 * do not close it: two full runs at 25 rounds still differed by up to 0.3 on S5's inserts
 * (docs/reports/bench-rounds.md). Such a sample costs well under a second.
 */
export const SHORT_SAMPLE_ROUNDS = { warmup: 1, rounds: 25 };

/**
 * The full run's rounds for the short-sample rows whose targets sit within 10% of the baseline
 * (S1, S4, S5). Their samples come in two modes on this machine (S4's kv puts: 34–41 ms or
 * 47–63 ms in one run, whichever side), so a 25-round median of per-round ratios moves by about
 * ±0.07: over 225 pooled rounds S4's puts were 1.027× kv (1.000–1.075), yet 25-round draws
 * from them read above 1.10 in 12% of cases, 50-round draws in 6% (docs/reports/bench-rounds.md).
 */
export const NARROW_TARGET_ROUNDS = { warmup: 1, rounds: 50 };

export interface Scenario<P = any> {
  id: string;
  title: string;
  sizes: { full: P; smoke: P };
  metrics: Metric[];
  /** Side every ratio is taken against. */
  baseline: string;
  /** Overrides the driver's rounds in a full run, for scenarios whose samples are long (S6). */
  fullRounds?: { warmup: number; rounds: number };
  /**
   * Sides that run all their rounds after the others instead of in turn with them, because
   * objects they leave behind keep working in the background (agents' many tables and alarms).
   */
  isolatedSides?: string[];
  /**
   * Probes behind another scenario's figures: run only when `--only` names the scenario, never
   * in a full run, so BENCHMARKS.md never shows them.
   */
  probeOnly?: boolean;
  /**
   * Run before every other scenario: cold starts slow down by tens of ms while workerd is
   * still flushing the storage that earlier scenarios wrote.
   */
  runFirst?: boolean;
  /**
   * Each sample in a workerd of its own, so that the isolate's one wasm instance starts empty:
   * the allocator reuses what earlier samples freed, and memory growth would read low (S7).
   */
  freshIsolate?: boolean;
  /**
   * Fresh objects per sample (default 1), each running the side once with the same params;
   * the sample's figure is the mean of theirs. workerd's clock steps by 1 ms, so a sample of
   * 20–30 ms puts every per-round ratio on a grid of 3–5% (1.000, 1.05, 1.10): too coarse for
   * a target within 10% of the baseline. Averaging a few fresh objects makes the grid finer
   * without changing the work each object does (docs/reports/bench-rounds.md). Only the
   * default drive (`ping()` then `runSide()`) takes it.
   */
  batches?: number;
  /** A sample that takes longer is a hang (default 2 minutes). */
  sampleTimeoutMs?: number;
  /**
   * Sides in the order they run each round. `ours` is `NOT_YET` until the capability
   * lands: the row then says "not yet".
   */
  sides: Record<string, Side<any, P> | typeof NOT_YET>;
  targets?: TargetCheck[];
  /** Notes printed under the scenario in BENCHMARKS.md. */
  notes?: string[];
  /**
   * Runs in the Worker for one sample of one side. Default: call `runSide` on a fresh
   * object (on `batches` fresh objects, averaged). Scenarios that need the caller's side
   * (WebSocket clients, cold starts) override it.
   */
  drive?: (ctx: DriveContext<P>) => Promise<SampleResult>;
}

export const NOT_YET = "not yet" as const;

export interface DriveContext<P> {
  env: Env;
  scenario: Scenario<P>;
  sideName: string;
  side: Side<any, P>;
  params: P;
  /** A name no earlier sample used. */
  objectName: string;
  /** Stub of a fresh object of the side's class (created lazily). */
  stub: () => Promise<BenchStub>;
}

/** RPC surface every bench object implements. */
export interface BenchStub {
  runSide(scenarioId: string, sideName: string, params: unknown): Promise<SampleResult>;
  ping(): Promise<string>;
  fetch(request: Request | string, init?: RequestInit): Promise<Response>;
}

/**
 * Opens `count` WebSocket connections to `stub`, 50 at a time, and accepts the client ends;
 * each lands in `clients` as soon as it is open, so that the caller can close every one of them
 * even when a later upgrade fails.
 */
export async function openSockets(
  stub: BenchStub,
  count: number,
  url: (i: number) => string,
  clients: WebSocket[],
  onOpen?: (ws: WebSocket) => void,
): Promise<void> {
  const connectOne = async (i: number) => {
    const response = await stub.fetch(url(i), { headers: { Upgrade: "websocket" } });
    const ws = response.webSocket;
    if (!ws) throw new Error(`upgrade refused with status ${response.status}`);
    ws.accept();
    onOpen?.(ws);
    clients.push(ws);
  };
  for (let i = 0; i < count; i += 50) {
    const batch = Math.min(50, count - i);
    await Promise.all(Array.from({ length: batch }, (_, k) => connectOne(i + k)));
  }
}

/** Milliseconds elapsed while running `fn` (performance.now() has 1 ms resolution locally). */
export async function timed(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Deterministic pseudo-random numbers so every side gets the same key sequence. */
export { seeded } from "./seeded.mjs";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `done()` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(done: () => boolean, timeoutMs: number, stepMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}
