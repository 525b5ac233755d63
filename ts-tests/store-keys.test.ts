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
});
