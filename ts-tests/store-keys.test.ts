import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { storeDecodeKey, storeEncodeKey } from "durable-core/testing";
import * as wasm from "durable-core/test-wasm";
import { describe, expect, it } from "vitest";
import type { StoreBox } from "./fixtures/store.js";

/** The Rust reference codec, called directly. */
const rust = (wasm as unknown as { Engine: { storeEncode(key: unknown): string; storeDecode(kvKey: string): unknown[] } })
  .Engine;

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("the JS fast path of the key codec", () => {
  it("encodes and decodes flat keys exactly as the Rust codec does", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("codec"), () => {
      const random = seeded(7);
      const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
      const numbers = [0, -0, 1, -1, 0.5, -2.5, 1e300, -1e-300, Number.MAX_VALUE, Number.MIN_VALUE, 42, 420];
      const alphabet = ["a", "b", "\u0000", "\u0001", "\u0002", "é", "\uffff", "\u{10000}", "/", "\u001f"];
      const part = () => {
        const roll = random();
        if (roll < 0.35) return Array.from({ length: Math.floor(random() * 5) }, () => pick(alphabet)).join("");
        if (roll < 0.7) return random() < 0.5 ? pick(numbers) : (random() - 0.5) * 10 ** Math.floor(random() * 20);
        if (roll < 0.85) return random() < 0.5;
        return null;
      };
      for (let i = 0; i < 3000; i++) {
        const key = Array.from({ length: 1 + Math.floor(random() * 4) }, part);
        const encoded = rust.storeEncode(key);
        expect(storeEncodeKey(key), JSON.stringify(key)).toBe(encoded);
        expect(storeDecodeKey(encoded)).toEqual(rust.storeDecode(encoded));
      }
      expect(storeEncodeKey("bare")).toBe(rust.storeEncode(["bare"]));
    });
  });

  it("leaves everything else, errors included, to the Rust codec", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("codec-fallback"), (o: StoreBox) => {
      const key = [1n, new Uint8Array([1, 2]), ["nested", 2]];
      expect(storeEncodeKey(key)).toBe(rust.storeEncode(key));
      expect(storeDecodeKey(rust.storeEncode(key))).toEqual(key);
      const long = "é".repeat(1020);
      expect(storeEncodeKey(long)).toBe(rust.storeEncode(long));
      expect(() => storeEncodeKey("é".repeat(1024))).toThrow(/bytes once encoded/);
      for (const foreign of ["", "plain", "\u001f", "\u001ffzz", "\u001fsabc", "\u001fs\u0002\u0009\u0001"]) {
        expect(() => storeDecodeKey(foreign), JSON.stringify(foreign)).toThrow();
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
      for (const { key } of listed) expect(key).toEqual(rust.storeDecode(rust.storeEncode(key)));
      for (const { key, value } of listed) if (key.length === 3) expect(key[2]).toBe(value === -0 ? 0 : value);
      const digits = (hex: string) => `\u001fsscan\u0001fc01c000000000000f${hex}`;
      for (const hex of ["fff0000000000000", "fff8000000000000", "7fffffffffffffff", "C045000000000000", "c04500000000000", "c04500000000000g"]) {
        expect(() => storeDecodeKey(digits(hex)), hex).toThrow();
      }
      o.rawKv().put(digits("fff8000000000000"), "NaN is not a key");
      expect(() => o.store.list({ prefix: ["scan", 7] })).toThrow();
    });
  });
});

