// S3P — probes of S3: what each piece of a publish's per-recipient work costs next to a bare
// `send`. Same connections, messages and counting as S3 (its `drive`); not part of a full run:
//
//   bash scripts/bench.sh --only S3P --rounds 5
//
// The probes of one piece run in a raw object over `getWebSockets()` fetched once before the
// timer. A side that sends nothing times its probe alone and then sends the messages untimed,
// so that the delivery check still holds. The paired sides time a library's publish against
// the bare loop in its own object; `oursFloor` and `actorsFloor` run the bare loop in the
// libraries' objects, to show how far samples in separate objects differ (the object and load
// together).
// Findings: docs/reports/s3-publish.md.
import type { ActorsBench } from "../objects/actors";
import type { RawBench } from "../objects/raw";
import { NOT_YET, type SampleResult, type Scenario } from "../harness";
import { type S3Params, TOPIC, driveCounting, floorLoop, isBenchText, message, publishLoop, s3 } from "./s3-publish";

/** `WebSocket.readyState` of an open socket. */
const OPEN = 1;

/** Sends every message to every socket, untimed. */
function sendAll(p: S3Params, sockets: readonly WebSocket[]): void {
  for (let r = 0; r < p.repeat; r++) {
    for (let k = 0; k < p.messages; k++) for (const ws of sockets) ws.send(message(k));
  }
}

/** Times `probe(message)` per message, then delivers the messages untimed. */
function probeThenSend(obj: RawBench, p: S3Params, probe: (sockets: readonly WebSocket[], message: string) => void): SampleResult {
  const sockets = obj.dctx.getWebSockets();
  const result = publishLoop(p, (m) => probe(sockets, m));
  sendAll(p, sockets);
  return result;
}

/** Runs `loop` over the sockets fetched once, timed like S3. */
function overSockets(loop: (sockets: readonly WebSocket[], message: string) => void) {
  return (obj: RawBench, p: S3Params) => {
    const sockets = obj.dctx.getWebSockets();
    return publishLoop(p, (m) => loop(sockets, m));
  };
}

let sink = 0;

/** Every side but the paired ones measures `publish` alone. */
function publishOnly(sides: Scenario<S3Params>["sides"]): Scenario<S3Params>["sides"] {
  return Object.fromEntries(
    Object.entries(sides).map(([name, side]) => [name, side === NOT_YET || side.metrics !== undefined ? side : { ...side, metrics: ["publish"] }]),
  );
}

/** Messages in a row that one loop of a paired side sends before the other takes over. */
const PAIRED_BLOCK = 5;

/** durable-core's `publish` and the floor taking turns in one durable-core object; see {@link pairedWith}. */
function paired(obj: { dctx: DurableObjectState; sockets: { publish(topic: string, message: string): number } }, p: S3Params): SampleResult {
  return pairedWith(obj.dctx, p, (m) => obj.sockets.publish(TOPIC, m));
}

/**
 * A library's `publish` and the floor in the object of `dctx`, over the same sockets, taking
 * turns every {@link PAIRED_BLOCK} messages: load that comes and goes slows both alike, so the
 * ratio of the two totals is steadier than a ratio of samples taken seconds apart. Each message
 * is sent once, by one of the two; both totals are scaled to S3's unit (per `messages` messages).
 */
function pairedWith(dctx: DurableObjectState, p: S3Params, publish: (message: string) => void): SampleResult {
  const sockets = dctx.getWebSockets();
  const spent = { publish: 0, floor: 0 };
  const counts = { publish: 0, floor: 0 };
  let turn: "publish" | "floor" = "floor";
  let mark = performance.now();
  for (let r = 0; r < p.repeat; r++) {
    for (let k = 0; k < p.messages; k++) {
      if (k % PAIRED_BLOCK === 0) {
        const now = performance.now();
        spent[turn] += now - mark;
        mark = now;
        turn = turn === "publish" ? "floor" : "publish";
      }
      const m = message(k);
      if (turn === "publish") publish(m);
      else for (let i = 0; i < sockets.length; i++) sockets[i]!.send(m);
      counts[turn] += 1;
    }
  }
  spent[turn] += performance.now() - mark;
  const published = (spent.publish / counts.publish) * p.messages;
  const floor = (spent.floor / counts.floor) * p.messages;
  return { timings: { publish: published, pairedFloor: floor }, info: { overFloor: Number((published / floor).toFixed(3)) } };
}

/** @cloudflare/actors' `sockets.message()` and the floor taking turns in one actors object; see {@link pairedWith}. */
function pairedActors(obj: ActorsBench, p: S3Params): SampleResult {
  return pairedWith(obj.dctx, p, (m) => obj.sockets.message(m));
}

export const s3Probes: Scenario<S3Params> = {
  id: "S3P",
  title: "probes of S3's per-recipient costs (not in a full run)",
  probeOnly: true,
  sizes: {
    full: { connections: 1000, messages: 20, repeat: 20 },
    smoke: { connections: 10, messages: 10, repeat: 1 },
  },
  metrics: [
    { key: "publish", label: "the probed work, per 20 messages to 1,000 connections (ms)" },
    { key: "pairedFloor", label: "the floor's turns in the paired sides, per 20 messages (ms)" },
  ],
  baseline: "floor",
  // A text frame, or the same text as a binary frame (the `bytes` probe).
  drive: (ctx) => driveCounting(ctx, (data) => isBenchText(data) || typeof data !== "string"),
  sides: publishOnly({
    floor: s3.sides.floor,
    ready: {
      label: "readyState check + send",
      binding: "RAW",
      run: overSockets((sockets, m) => {
        for (let i = 0; i < sockets.length; i++) {
          const ws = sockets[i]!;
          if (ws.readyState !== OPEN) continue;
          ws.send(m);
        }
      }),
    },
    readyTry: {
      label: "readyState check + try { send }",
      binding: "RAW",
      run: overSockets((sockets, m) => {
        for (let i = 0; i < sockets.length; i++) {
          const ws = sockets[i]!;
          if (ws.readyState !== OPEN) continue;
          try {
            ws.send(m);
          } catch {
            sink += 1;
          }
        }
      }),
    },
    slots: {
      label: "Uint32Array slots → sockets[slot] + readyState + try { send }",
      binding: "RAW",
      run: (obj: RawBench, p) => {
        const sockets: (WebSocket | undefined)[] = obj.dctx.getWebSockets();
        const slots = Uint32Array.from(sockets.keys());
        return publishLoop(p, (m) => {
          for (let i = 0; i < slots.length; i++) {
            const ws = sockets[slots[i]!];
            if (ws === undefined || ws.readyState !== OPEN) continue;
            try {
              ws.send(m);
            } catch {
              sink += 1;
            }
          }
        });
      },
    },
    tryOnly: {
      label: "try { send }, no readyState check",
      binding: "RAW",
      run: overSockets((sockets, m) => {
        for (let i = 0; i < sockets.length; i++) {
          try {
            sockets[i]!.send(m);
          } catch {
            sink += 1;
          }
        }
      }),
    },
    bytes: {
      label: "send of bytes encoded once per message (binary frames)",
      binding: "RAW",
      run: overSockets((sockets, m) => {
        const bytes = new TextEncoder().encode(m);
        for (let i = 0; i < sockets.length; i++) sockets[i]!.send(bytes);
      }),
    },
    getWebSockets: {
      label: "getWebSockets() alone, no send",
      binding: "RAW",
      run: (obj: RawBench, p) =>
        probeThenSend(obj, p, () => {
          sink += obj.dctx.getWebSockets().length;
        }),
    },
    readyOnly: {
      label: "readyState alone, no send",
      binding: "RAW",
      run: (obj: RawBench, p) =>
        probeThenSend(obj, p, (sockets) => {
          for (let i = 0; i < sockets.length; i++) sink += sockets[i]!.readyState;
        }),
    },
    paired: {
      label: "durable-core sockets.publish() and the floor, taking turns in one object",
      binding: "OURS",
      metrics: ["publish", "pairedFloor"],
      run: paired,
    },
    pairedActors: {
      label: "@cloudflare/actors sockets.message() and the floor, taking turns in one object",
      binding: "ACTORS",
      metrics: ["publish", "pairedFloor"],
      run: pairedActors,
    },
    oursFloor: { label: "the floor's loop in durable-core's object", binding: "OURS", run: floorLoop },
    actorsFloor: { label: "the floor's loop in @cloudflare/actors' object", binding: "ACTORS", run: floorLoop },
    // The same sides as S3's, for a ratio within one run.
    ours: s3.sides.ours,
    actors: s3.sides.actors,
    raw: s3.sides.raw,
  }),
  notes: [],
  targets: [],
};
