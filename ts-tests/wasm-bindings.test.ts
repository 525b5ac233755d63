// What the core's SQL backend (src/wasm/backend.rs) hands `sql.exec`: bindings of every arity
// (up to 4 go as arguments, more as one spread array) and every kind, and texts as the lending
// makes them (short ASCII ones as char codes, src/wasm/interop.rs `text_to_js`) and keeps them
// for a second statement. `__bindEcho` (src/wasm/probe.rs, test build only) runs
// `SELECT ?1, typeof(?1), ...` through the backend twice and returns both rows.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { __bindEcho } from "durable-core/test-wasm";
import { describe, expect, it } from "vitest";

/** One value of each kind the core binds, and the SQLite type it must arrive as. */
const KINDS: [unknown, unknown, string][] = [
  // [bound, read back, typeof]. A core integer crosses as a JS number, which workerd binds as a
  // double (interop.rs `sql_value_to_js`): the core's integers are times, counts and limits.
  [17n, 17, "real"],
  [2.5, 2.5, "real"],
  ["text", "text", "text"],
  [null, null, "null"],
  [new Uint8Array([0, 1, 255]), [0, 1, 255], "blob"],
  [-(2n ** 53n), -(2 ** 53), "real"],
  ["", "", "text"],
  [-0.125, -0.125, "real"],
];

/** Blobs come back as ArrayBuffers or views: compared as byte lists. */
function plain(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return [...new Uint8Array(value)];
  if (ArrayBuffer.isView(value)) return [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
  return value;
}

function echoed(sql: SqlStorage, values: unknown[], lent: string[]) {
  const [first, second, texts] = __bindEcho(sql, values, lent);
  return { first: first.map((row) => row.map(plain)), second: second.map((row) => row.map(plain)), texts };
}

/** The row `SELECT ?1, typeof(?1), ...` returns for `expected` [value, type] pairs. */
function row(expected: [unknown, string][]): unknown[][] {
  return expected.length === 0 ? [["no bindings"]] : [expected.flat()];
}

/** Texts that may take the char-code path, or just miss it. */
function boundaryTexts(): string[] {
  const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).join("");
  const texts = [""];
  for (let length = 1; length <= 26; length++) texts.push(ascii.slice(32, 32 + length), ascii.slice(128 - length));
  texts.push(ascii.slice(0, 24), ascii.slice(0, 25), ascii.slice(0, 23), "\u0000", "\u0000".repeat(24), "x".repeat(23) + "\u0000");
  texts.push("é", "é".repeat(12), "x".repeat(22) + "é", "x".repeat(23) + "é", "😀".repeat(6), "\u007f\u0080", "a".repeat(64), "b".repeat(65));
  return texts;
}

describe("bindings the core's SQL backend passes to sql.exec", () => {
  for (const lent of [[], ["lent-marker"]]) {
    const how = lent.length === 0 ? "not lending" : "lending";

    it(`binds 0 to 9 values of every kind, each in its place (${how})`, async () => {
      await runInDurableObject(env.PLAIN.getByName(`arity-${how}`), (_o, state) => {
        for (let count = 0; count <= 9; count++) {
          for (let rotation = 0; rotation < KINDS.length; rotation++) {
            const picked = Array.from({ length: count }, (_, i) => KINDS[(i + rotation) % KINDS.length]!);
            const { first, second } = echoed(state.storage.sql, picked.map(([bound]) => bound), lent);
            const expected = row(picked.map(([, back, type]) => [back, type]));
            expect(first, `${count} values, rotation ${rotation}`).toEqual(expected);
            expect(second, `${count} values, rotation ${rotation}, again`).toEqual(expected);
          }
        }
      });
    });

    it(`binds texts of every length at the char-code boundary exactly (${how})`, async () => {
      await runInDurableObject(env.PLAIN.getByName(`texts-${how}`), (_o, state) => {
        for (const text of boundaryTexts()) {
          const { first, second, texts } = echoed(state.storage.sql, [text], lent);
          expect(first, JSON.stringify(text)).toEqual([[text, "text"]]);
          expect(second, JSON.stringify(text)).toEqual([[text, "text"]]);
          expect(texts).toEqual([text]);
        }
      });
    });
  }

  it("keeps distinct texts of one length apart, and binds a lent string where its text is bound", async () => {
    await runInDurableObject(env.PLAIN.getByName("kept"), (_o, state) => {
      const ids = ["a".repeat(24), "b".repeat(24), "ab", "ba", "lent-marker", "c".repeat(24)];
      const { first, second, texts } = echoed(state.storage.sql, ids, ["lent-marker", "zz"]);
      const expected = row(ids.map((id) => [id, "text"]));
      expect(first).toEqual(expected);
      expect(second).toEqual(expected);
      expect(texts).toEqual(ids);
    });
  });

  it("binds a lone surrogate as the replacement character, lent or not", async () => {
    await runInDurableObject(env.PLAIN.getByName("surrogate"), (_o, state) => {
      for (const lent of [[], ["x"]]) {
        const { first } = echoed(state.storage.sql, ["\ud800", "a\udc00b"], lent);
        expect(first).toEqual([["\ufffd", "text", "a\ufffdb", "text"]]);
      }
    });
  });
});
