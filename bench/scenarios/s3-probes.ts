// S3P — probes of S3: what each piece of a publish's per-recipient work costs next to a bare
// `send`. Same connections, messages and counting as S3 (its `drive`); not part of a full run:
//
//   bash scripts/bench.sh --only S3P --rounds 5
//
// Every side but `ours` runs in a raw object over `getWebSockets()` fetched once before the
// timer. A side that sends nothing times its probe alone and then sends the messages untimed,
// so that the delivery check still holds. Findings: docs/reports/s3-publish.md.
import type { RawBench } from "../objects/raw";
import type { SampleResult, Scenario } from "../harness";
import { type S3Params, TOPIC, driveCounting, isBenchText, message, publishLoop } from "./s3-publish";

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

export const s3Probes: Scenario<S3Params> = {
  id: "S3P",
  title: "probes of S3's per-recipient costs (not in a full run)",
  probeOnly: true,
  sizes: {
    full: { connections: 1000, messages: 20, repeat: 2 },
    smoke: { connections: 10, messages: 2, repeat: 1 },
  },
  metrics: [{ key: "publish", label: "the probed work, per 20 messages to 1,000 connections (ms)" }],
  baseline: "floor",
  // A text frame, or the same text as a binary frame (the `bytes` probe).
  drive: (ctx) => driveCounting(ctx, (data) => isBenchText(data) || typeof data !== "string"),
  sides: {
    floor: {
      label: "floor: send",
      binding: "RAW",
      run: overSockets((sockets, m) => {
        for (let i = 0; i < sockets.length; i++) sockets[i]!.send(m);
      }),
    },
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
    ours: {
      label: "durable-core sockets.publish()",
      binding: "OURS",
      run: (obj: { sockets: { publish(topic: string, message: string): number } }, p) =>
        publishLoop(p, (m) => obj.sockets.publish(TOPIC, m)),
    },
    raw: {
      label: "raw getWebSockets() + send loop",
      binding: "RAW",
      run: (obj: RawBench, p) =>
        publishLoop(p, (m) => {
          for (const ws of obj.dctx.getWebSockets()) ws.send(m);
        }),
    },
  },
  notes: [],
  targets: [],
};
