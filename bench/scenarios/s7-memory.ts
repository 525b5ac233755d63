// S7 — wasm memory: what an idle object, 1,000 connections with 10 topics each and 10,000
// index lookups in the store's read cache cost in the one wasm instance of the isolate.
//
// Every object of the bench Worker runs in the same isolate, so `engineStats()` read from any
// of them describes the whole instance. Each measure is given twice: the engine's own
// accounting (what its byte budget, `setEngineBudget`, is enforced against) and the growth of
// the instance's linear memory (what the isolate really pays; it only grows, in 64 KiB pages,
// so it is measured across many objects, connections or entries and divided).
//
// Only durable-core has a wasm instance: the scenario has one side.
import { type BenchStub, type DriveContext, type Env, type SampleResult, type Scenario, openSockets } from "../harness";

export interface S7Params {
  /** Fresh objects woken with one request each, then left idle. */
  idle: number;
  connections: number;
  topicsPerConnection: number;
  /** Entries put in an indexed store, then each looked up once through the index. */
  entries: number;
}

/** What `OursBench.memory()` reports: the isolate's instance and the handles of some objects. */
export interface MemoryProbe {
  memoryBytes: number;
  budgetBytes: number;
  readCacheBytes: number;
  liveEngines: number;
  /** Handle bytes of each id asked for that has a live handle. */
  handles: Record<string, number>;
}

interface ProbeStub extends BenchStub {
  memory(ids: string[]): Promise<MemoryProbe>;
}

/** The topics connection `seq` subscribes to: 10 of 1,000, so that topics are shared. */
export function topicsOf(seq: number, count: number): string[] {
  return Array.from({ length: count }, (_, k) => `s7/${(seq * count + k) % 1000}`);
}

export const EMAIL_INDEX = "byEmail";
export const emailOf = (i: number) => `user${i}@example.com`;

/** Inside an indexed object: puts `entries` values, then looks each up once through the index. */
export async function fillReadCache(
  store: { put(key: [string, number], value: unknown): void; index(name: string): { get(key: string): unknown }; ready(): Promise<void> },
  memory: () => MemoryProbe,
  entries: number,
): Promise<SampleResult> {
  await store.ready();
  for (let i = 0; i < entries; i++) store.put(["user", i], { email: emailOf(i) });
  // A lookup is only cached once no transaction that wrote index rows can still be open: from
  // the next turn on.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const before = memory();
  let found = 0;
  for (let i = 0; i < entries; i++) if (store.index(EMAIL_INDEX).get(emailOf(i)) !== undefined) found += 1;
  const after = memory();
  if (found !== entries) return { timings: {}, failure: `found ${found} of ${entries} entries through the index` };
  const per = 10_000 / entries;
  return {
    timings: {
      cacheBytes: (after.readCacheBytes - before.readCacheBytes) * per,
      cacheMemory: (after.memoryBytes - before.memoryBytes) * per,
    },
  };
}

const idOf = (env: Env, name: string) => env.OURS.idFromName(name).toString();

async function drive(ctx: DriveContext<S7Params>): Promise<SampleResult> {
  const { env, params: p } = ctx;
  const probe = env.OURS.getByName(`${ctx.objectName}/probe`) as unknown as ProbeStub;
  await probe.ping();

  // Idle objects: woken by one request (constructor, migrations, ping), then left alone.
  const idleNames = Array.from({ length: p.idle }, (_, i) => `${ctx.objectName}/idle/${i}`);
  const idleIds = idleNames.map((n) => idOf(env, n));
  const beforeIdle = await probe.memory([]);
  // All at once: a handle unused for QUIET_MS (30 s) is freed, and on a loaded machine a few
  // hundred cold starts one after another take longer than that.
  await Promise.all(idleNames.map((name) => (env.OURS.getByName(name) as unknown as BenchStub).ping()));
  const afterIdle = await probe.memory(idleIds);
  const idleHandles = Object.values(afterIdle.handles);
  if (idleHandles.length !== p.idle) {
    return { timings: {}, failure: `${idleHandles.length} of ${p.idle} idle objects kept a handle (budget ${afterIdle.budgetBytes} bytes)` };
  }

  // Connections: one object, each connection subscribed to its topics in onConnect.
  const roomName = `${ctx.objectName}/room`;
  const room = env.OURS.getByName(roomName) as unknown as BenchStub;
  await room.ping();
  const roomId = [idOf(env, roomName)];
  const beforeRoom = await probe.memory(roomId);
  const clients: WebSocket[] = [];
  try {
    await openSockets(room, p.connections, (seq) => `http://bench/ws?s7seq=${seq}&s7topics=${p.topicsPerConnection}`, clients);
    const afterRoom = await probe.memory(roomId);
    const perThousand = 1000 / p.connections;

    // The read cache: filled inside an object whose store declares an index.
    const indexed = env.OURS_INDEXED.getByName(`${ctx.objectName}/indexed`) as unknown as BenchStub;
    const cache = await indexed.runSide(ctx.scenario.id, "ours", p);
    if (cache.failure) return cache;

    const idle = idleHandles.reduce((a, b) => a + b, 0) / p.idle;
    return {
      timings: {
        idleHandle: idle,
        idleMemory: (afterIdle.memoryBytes - beforeIdle.memoryBytes) / p.idle,
        connHandle: ((afterRoom.handles[roomId[0]] ?? NaN) - (beforeRoom.handles[roomId[0]] ?? NaN)) * perThousand,
        connMemory: (afterRoom.memoryBytes - beforeRoom.memoryBytes) * perThousand,
        ...cache.timings,
      },
      info: {
        budgetBytes: afterIdle.budgetBytes,
        idleObjectsPerBudget: Math.floor(afterIdle.budgetBytes / idle),
        memoryBytes: (await probe.memory([])).memoryBytes,
      },
    };
  } finally {
    for (const ws of clients) ws.close(1000, "done");
  }
}

export const s7: Scenario<S7Params> = {
  id: "S7",
  title: "wasm memory: an idle object, 1,000 connections × 10 topics, 10,000 cached index lookups",
  sizes: {
    full: { idle: 50, connections: 1000, topicsPerConnection: 10, entries: 10_000 },
    smoke: { idle: 5, connections: 10, topicsPerConnection: 10, entries: 100 },
  },
  metrics: [
    { key: "idleHandle", label: "idle object: handle bytes (engine accounting)", unit: "bytes" },
    { key: "idleMemory", label: "idle object: wasm memory growth", unit: "bytes" },
    { key: "connHandle", label: "per 1,000 connections × 10 topics: handle bytes (engine accounting)", unit: "bytes" },
    { key: "connMemory", label: "per 1,000 connections × 10 topics: wasm memory growth", unit: "bytes" },
    { key: "cacheBytes", label: "per 10,000 cached index lookups: read-cache bytes (accounting)", unit: "bytes" },
    { key: "cacheMemory", label: "per 10,000 cached index lookups: wasm memory growth", unit: "bytes" },
  ],
  baseline: "ours",
  // Counts of bytes, not times: no warm-up to discard, three rounds show they are stable.
  fullRounds: { warmup: 0, rounds: 3 },
  freshIsolate: true,
  // 1,000 connections and 10,000 indexed puts take about 100 s on a loaded 2-core machine.
  sampleTimeoutMs: 600_000,
  drive,
  sides: {
    ours: {
      label: "durable-core (engineStats())",
      binding: "OURS",
      run: (obj: { fillReadCache(p: S7Params): Promise<SampleResult> }, p) => obj.fillReadCache(p),
    },
  },
  notes: [
    "Bytes, not milliseconds. Idle objects: 50 fresh objects woken at once by one `ping()` each (constructor, migrations), then left alone; the engine's accounting is the mean `engineStats().handles[].bytes` of those objects, the memory growth is the growth of the instance's linear memory across all 50, divided by 50 (to within 1,311 bytes: memory grows by 64 KiB pages). Connections: 1,000 WebSocket connections to one object, each subscribed in `onConnect` to 10 of 1,000 topics. Read cache: 10,000 entries put in a store with one unique index, then each looked up once through it (`engineStats().readCacheBytes`).",
    "Each sample runs in a workerd of its own, so the wasm instance starts empty: linear memory only grows, and in a shared isolate the allocator would reuse what earlier samples freed, which makes growth read low. The budget the handles share is `setEngineBudget` (default 32 MiB); the read cache has its own 8 MiB bound.",
  ],
  targets: [
    { metric: "idleHandle", maxValue: 64 * 1024, text: "an idle object ≤ 64 KiB (accounting)" },
    { metric: "idleMemory", maxValue: 64 * 1024, text: "an idle object ≤ 64 KiB (memory growth)" },
  ],
};
