import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { decodeKey, encodeFlat, encodeKey, planRange } from "durable-core/test-store-keys";
import * as wasm from "durable-core/test-wasm";
import { describe, expect, it } from "vitest";
import type { StoreBox } from "./fixtures/store.js";

/** The Rust reference codec, called directly. */
const rust = (
  wasm as unknown as {
    Engine: {
      storeEncode(key: unknown, format: number): string;
      storeDecode(kvKey: string): unknown[];
      storeRange(range: unknown, format: number): unknown;
    };
  }
).Engine;
const CURRENT = 2;
const V1 = 1;

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** What a call returned, or the message it threw. */
function outcome(call: () => unknown): { ok?: unknown; error?: string } {
  try {
    return { ok: call() };
  } catch (error) {
    return { error: String((error as Error).message) };
  }
}

const bytes = (text: string) => Array.from(new TextEncoder().encode(text));

describe("the JS fast path of the key codec", () => {
  it("encodes and decodes a corpus of flat keys byte for byte as the Rust codec does", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("codec"), () => {
      const random = seeded(7);
      const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
      const numbers = [
        0, -0, 1, -1, 0.5, -2.5, 1e300, -1e-300, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE,
        42, 420, 2 ** 31, -(2 ** 32), 2 ** 53, Number.EPSILON, 9999, 1_700_000_000_000,
      ];
      const alphabet = ["a", "b", "\u0000", "\u0001", "\u0002", "é", "\uffff", "\u{10000}", "/", "\u001f", "p", "0"];
      const part = () => {
        const roll = random();
        if (roll < 0.35) return Array.from({ length: Math.floor(random() * 5) }, () => pick(alphabet)).join("");
        if (roll < 0.7) {
          if (random() < 0.4) return pick(numbers);
          if (random() < 0.5) return Math.floor((random() - 0.5) * 2 ** Math.floor(random() * 53));
          return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
        }
        if (roll < 0.85) return random() < 0.5;
        return null;
      };
      for (let i = 0; i < 3000; i++) {
        const key = Array.from({ length: 1 + Math.floor(random() * 4) }, part);
        const encoded = rust.storeEncode(key, CURRENT);
        expect(encodeFlat(key), JSON.stringify(key)).toBeDefined();
        expect(bytes(encodeKey(key, CURRENT)), JSON.stringify(key)).toEqual(bytes(encoded));
        expect(decodeKey(encoded)).toEqual(rust.storeDecode(encoded));
      }
      expect(encodeKey("bare", CURRENT)).toBe(rust.storeEncode(["bare"], CURRENT));
    });
  });

  it("encodes runs of keys sharing leading parts as the Rust codec does, mutated key arrays and Proxies included", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("codec-runs"), () => {
      const random = seeded(19);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
      // Few distinct parts, so that consecutive keys often share 0, 1, 2 or more leading parts
      // (the encoder reuses the last key's), and parts that only the Rust codec takes or that
      // make a key too long, so that a run also breaks in the middle of a key.
      const flat = ["g", "h", "", "\u0000", "\u0001x", "é", "\u{10000}", 0, -0, 1, -1, 0.5, 7, 2 ** 53, -1e300, true, false, null];
      const other = [1n, new Uint8Array([3]), ["nested", 1], "é".repeat(400)];
      const part = () => (random() < 0.06 ? pick(other) : pick(flat));
      let last: unknown[] = ["g", 0, 1];
      let memoized = 0;
      for (let n = 0; n < 2000; n++) {
        const roll = random();
        const shared = roll < 0.5 ? last.length - 1 : Math.floor(random() * (last.length + 1));
        const key = [...last.slice(0, Math.max(shared, 0))];
        const length = roll < 0.5 ? last.length : 1 + Math.floor(random() * 5);
        while (key.length < length) key.push(part());
        if (key.length === 0) key.push(part());
        const what = `${n}: ${JSON.stringify(key, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`;
        const expected = outcome(() => rust.storeEncode(key, CURRENT));
        const ours = outcome(() => encodeKey(key, CURRENT));
        if (expected.ok !== undefined) {
          expect(bytes(ours.ok as string), what).toEqual(bytes(expected.ok as string));
        } else {
          // Too long: refused by either guard, whose messages differ.
          expect(ours.error, what).toMatch(/bytes once encoded/);
        }
        if (encodeFlat(key) !== undefined) memoized += 1;
        last = key;
      }
      expect(memoized).toBeGreaterThan(1000);

      // A key array mutated between calls encodes as it now is.
      const key: unknown[] = ["g", 1, 5];
      expect(encodeKey(key, CURRENT)).toBe(rust.storeEncode(["g", 1, 5], CURRENT));
      key[1] = 2;
      expect(encodeKey(key, CURRENT)).toBe(rust.storeEncode(["g", 2, 5], CURRENT));
      key[0] = "h";
      expect(encodeKey(key, CURRENT)).toBe(rust.storeEncode(["h", 2, 5], CURRENT));
      key.push(9);
      expect(encodeKey(key, CURRENT)).toBe(rust.storeEncode(["h", 2, 5, 9], CURRENT));
      key.length = 2;
      expect(encodeKey(key, CURRENT)).toBe(rust.storeEncode(["h", 2], CURRENT));

      // A Proxy whose middle part changes on every read: each element is read once, and the key
      // encodes as the values it handed out.
      let reads: number[] = [];
      let group = 0;
      const proxy = new Proxy(["g", 0, 5], {
        get(target, name, receiver) {
          if (typeof name === "string" && /^\d+$/.test(name)) {
            reads[Number(name)] = (reads[Number(name)] ?? 0) + 1;
            if (name === "1") return (group += 1);
          }
          return Reflect.get(target, name, receiver);
        },
      });
      for (let round = 1; round <= 3; round++) {
        reads = [];
        const encoded = encodeFlat(proxy);
        expect(reads).toEqual([1, 1, 1]);
        expect(encoded).toBe(rust.storeEncode(["g", group, 5], CURRENT));
        expect(group).toBe(round);
      }
      // A Proxy over a key the encoder has just seen, then its target changed through it.
      const target = ["g", 3, 5];
      const plain = new Proxy(target, {});
      expect(encodeKey(target, CURRENT)).toBe(encodeKey(plain, CURRENT));
      plain[1] = 4;
      expect(encodeKey(plain, CURRENT)).toBe(rust.storeEncode(["g", 4, 5], CURRENT));
    });
  });

  it("sorts numbers in value order, as the Rust codec promises", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("codec-order"), () => {
      const random = seeded(3);
      const numbers = [-Number.MAX_VALUE, -1e300, -1, -Number.MIN_VALUE, 0, Number.MIN_VALUE, 1, 1.5, 2 ** 53, Number.MAX_VALUE];
      for (let i = 0; i < 500; i++) numbers.push((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20));
      numbers.sort((a, b) => a - b);
      const encoded = numbers.map((n) => encodeKey([n], CURRENT));
      for (let i = 1; i < encoded.length; i++) {
        if (numbers[i] !== numbers[i - 1]) expect(encoded[i - 1]! < encoded[i]!, `${numbers[i - 1]} < ${numbers[i]}`).toBe(true);
      }
    });
  });

  it("leaves everything else, errors and the older key format included, to the Rust codec", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("codec-fallback"), (o: StoreBox) => {
      const key = [1n, new Uint8Array([1, 2]), ["nested", 2]];
      expect(encodeFlat(key)).toBeUndefined();
      expect(encodeKey(key, CURRENT)).toBe(rust.storeEncode(key, CURRENT));
      expect(decodeKey(rust.storeEncode(key, CURRENT))).toEqual(key);
      expect(encodeKey(["user", 42], V1)).toBe("\u001fsuser\u0001fc045000000000000");
      expect(decodeKey("\u001fsuser\u0001fc045000000000000")).toEqual(["user", 42]);
      const long = "é".repeat(1020);
      expect(encodeKey(long, CURRENT)).toBe(rust.storeEncode(long, CURRENT));
      expect(() => encodeKey("é".repeat(1024), CURRENT)).toThrow(/bytes once encoded/);
      for (const foreign of ["", "plain", "\u001f", "\u001ffzz", "\u001fsabc", "\u001fs\u0002\u0009\u0001", "\u001ftabc", "\u001f1F"]) {
        expect(() => decodeKey(foreign), JSON.stringify(foreign)).toThrow();
      }
      expect(o.store.get([1n, new Uint8Array([1, 2]), ["nested", 2]])).toBeUndefined();
    });
  });

  it("decodes the numbers of a prefix scan exactly as the Rust codec does, and refuses non-canonical ones", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("codec-scan"), (o: StoreBox) => {
      const random = seeded(11);
      const numbers = [0, -0, 1, -1, 0.5, -2.5, 1e300, -1e-300, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 31, -(2 ** 32)];
      for (let i = 0; i < 300; i++) numbers.push((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20), Math.floor(random() * 1e6));
      for (const n of numbers) o.store.put(["scan", 7, n], n);
      // One key with a part after its number, so the scan's general path runs too.
      o.store.put(["scan", 7, 3.25, "tail"], "longer");
      const listed = o.store.list({ prefix: ["scan", 7] });
      expect(listed.length).toBe(new Set(numbers.map((n) => (n === 0 ? 0 : n))).size + 1);
      for (const { key } of listed) expect(key).toEqual(rust.storeDecode(rust.storeEncode(key, CURRENT)));
      for (const { key, value } of listed) if (key.length === 3) expect(key[2]).toBe(value === -0 ? 0 : value);
      const prefix = "\u001ftscan\u0001h`1`/";
      expect(encodeKey(["scan", 7], CURRENT)).toBe(prefix);
      // NaN, +Infinity, -Infinity, -0, a trailing padding digit, no terminator, a digit out of
      // range, no digit, a sign the digits contradict, twelve digits, bad padding bits.
      for (const rest of ["hooP/", "hoo/", "g00p", "gOp", "h`4D0/", "h`4D", "h`4Dq/", "h/", "g`4Dp", "h`4D000000001/", "h`0000000001/"]) {
        expect(() => decodeKey(prefix + rest), rest).toThrow();
      }
      o.rawKv().put(prefix + "hooP/", "NaN is not a key");
      expect(() => o.store.list({ prefix: ["scan", 7] })).toThrow();
    });
  });
});

describe("the JS planner of store ranges", () => {
  it("plans every range exactly as the Rust planner does", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("plan"), () => {
      const random = seeded(5);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
      const parts = ["", "a", "g", "\u0000", "\u0002x", "é", "\u{10000}", 0, -1, 7, 0.5, -2.5, 2 ** 53, Number.MAX_VALUE, true, false, null];
      // Prefixes the JS planner handles, and some it leaves to Rust (bigints, bytes, nesting, an empty tuple).
      const prefixes: unknown[] = [undefined, null, "g", 7, [], [1n], [new Uint8Array([1])], [["nested"]], ["g", 1n]];
      for (let i = 0; i < 400; i++) prefixes.push(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(parts)));
      const limits = [undefined, 0, 1, 10, 2 ** 32, 2 ** 40];
      const reverses = [undefined, false, true, 1];
      let planned = 0;
      for (const prefix of prefixes) {
        const range: Record<string, unknown> = { limit: pick(limits), reverse: pick(reverses) };
        if (prefix !== undefined) range.prefix = prefix;
        for (const format of [CURRENT, V1]) {
          const expected = outcome(() => rust.storeRange(range, format));
          expect(outcome(() => planRange(range, format)), `${JSON.stringify(range, (_, v) => (typeof v === "bigint" ? `${v}n` : v))} in V${format}`).toEqual(expected);
          if (expected.ok !== undefined) planned += 1;
        }
        // Bounds other than a prefix go to Rust; the answer is the same either way.
        const bounded = { ...range, start: ["g"], end: ["h", 2] };
        expect(outcome(() => planRange(bounded, CURRENT))).toEqual(outcome(() => rust.storeRange(bounded, CURRENT)));
      }
      expect(planned).toBeGreaterThan(600);
    });
  });
});

describe("an object whose keys were written in the older key format (V1)", () => {
  it("keeps reading and writing them in that format", async () => {
    const stub = env.STORE_BOX.getByName("format-v1");
    // What the V1 codec wrote for ["user", 42], ["user", 7, "x"] and ["g", 3, 9999].
    const stored: Array<[string, unknown]> = [
      ["\u001fsuser\u0001fc045000000000000", { name: "ada" }],
      ["\u001fsuser\u0001fc01c000000000000sx\u0001", "seven"],
      ["\u001fsg\u0001fc008000000000000fc0c3878000000000", 9999],
    ];
    await runInDurableObject(stub, (o: StoreBox) => {
      // Raw kv and no index row: the object's wake opened an empty store; the next instance reads these.
      for (const [kvKey, value] of stored) o.rawKv().put(kvKey, value);
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, (o: StoreBox) => {
      expect(o.store.get(["user", 42])).toEqual({ name: "ada" });
      expect(o.store.get(["g", 3, 9999])).toBe(9999);
      expect(o.store.list({ prefix: ["user"] }).map((e) => e.key)).toEqual([["user", 7, "x"], ["user", 42]]);
      expect(o.store.count()).toBe(3);
      o.store.put(["user", 8], { name: "bea", email: "bea@x" });
      expect([...o.rawKv().list({ prefix: "\u001fsuser\u0001fc020" })].map(([k]) => k)).toEqual(["\u001fsuser\u0001fc020000000000000"]);
      expect(o.store.index("byEmail").get("bea@x")?.key).toEqual(["user", 8]);
      expect(o.store.delete(["user", 42])).toBe(true);
      expect(o.store.list({ prefix: ["user"] }).map((e) => e.key)).toEqual([["user", 7, "x"], ["user", 8]]);
    });
  });

  it("starts a new object in the current format", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("format-v2"), (o: StoreBox) => {
      o.store.put(["user", 42], 1);
      expect([...o.rawKv().list({ prefix: "\u001f" })].map(([k]) => k)).toEqual(["\u001ftuser\u0001h`4D/"]);
    });
  });
});
