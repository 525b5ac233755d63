// The messages users see when a number or an option of theirs is refused, word for word, as the
// engine writes them in workerd. The wasm prints numbers with JavaScript's shortest digits laid
// out as Rust's `{}` (src/numbers.rs), and reads `opts.retry` and `static sockets.rateLimit`
// without serde while keeping serde's words: these texts are the ones the serde build wrote.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { DurableCore, DurableCoreError, type SocketsOptions } from "durable-core";
import { sqlCompile } from "durable-core/test-wasm";
import { describe, expect, it } from "vitest";
import type { StoreBox } from "./fixtures/store.js";
import type { Tasks } from "./fixtures/scheduler.js";

/** The `DurableCoreError` `fn` throws, as `code: message`. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DurableCoreError);
    const coded = error as DurableCoreError;
    return `${coded.code}: ${coded.message}`;
  }
  throw new Error("expected a DurableCoreError, nothing was thrown");
}

const RETRY = "ARGUMENT: invalid argument `retry`: Failed to deserialize JsValue into type `durable_core::wasm::scheduler::Retry`: Error: invalid type:";
const RATE_RULE = "messages and perMs must both be whole numbers from 1 to 4294967295";

describe("numbers in messages", () => {
  it("breaks an exact tie between two shortest digit strings upwards, as `{}` does (V8's digits end even)", async () => {
    await runInDurableObject(env.TASKS.getByName("number-tie"), (o: Tasks) => {
      // Exactly halfway between …62 and …63: `toExponential()` gives …62, Rust's `{}` writes …63.
      expect(refusal(() => o.scheduler.every(-173682166315372.625, "record"))).toBe(
        "TASK_SCHEDULE: invalid `interval`: -173682166315372.63 ms is not a positive interval",
      );
      expect(refusal(() => o.scheduler.every(-77045967755840.125, "record"))).toBe(
        "TASK_SCHEDULE: invalid `interval`: -77045967755840.13 ms is not a positive interval",
      );
    });
  });

  it("reads as Rust's `{}` writes it: no exponent, -0 and inf as Rust names them", async () => {
    await runInDurableObject(env.TASKS.getByName("number-messages"), (o: Tasks) => {
      const s = o.scheduler;
      const messages = [
        refusal(() => s.at(Number.NaN, "record")),
        refusal(() => s.at(Number.POSITIVE_INFINITY, "record")),
        refusal(() => s.after(Number.NEGATIVE_INFINITY, "record")),
        refusal(() => s.at(1e300, "record")),
        refusal(() => s.at(-1.5e16, "record")),
        refusal(() => s.every(-0, "record")),
        refusal(() => s.every(-0.5, "record")),
        refusal(() => s.every(-1e-7, "record")),
        refusal(() => s.every(-123.456, "record")),
        refusal(() => s.after(10, "record", undefined, { retry: { attempts: 1.5 } })),
        refusal(() => s.after(10, "record", undefined, { retry: { attempts: 1e21 } })),
        refusal(() => s.after(10, "record", undefined, { retry: { attempts: 5e-324 } })),
        refusal(() => s.after(10, "record", undefined, { retry: { backoffMs: -2.5 } })),
      ];
      expect(messages).toEqual([
        "TASK_SCHEDULE: invalid `time`: NaN is not a finite number of milliseconds",
        "TASK_SCHEDULE: invalid `time`: inf is not a finite number of milliseconds",
        "TASK_SCHEDULE: invalid `delay`: -inf is not a finite number of milliseconds",
        `TASK_SCHEDULE: invalid \`time\`: 1${"0".repeat(300)} is outside the range of a Date`,
        "TASK_SCHEDULE: invalid `time`: -15000000000000000 is outside the range of a Date",
        "TASK_SCHEDULE: invalid `interval`: -0 ms is not a positive interval",
        "TASK_SCHEDULE: invalid `interval`: -0.5 ms is not a positive interval",
        "TASK_SCHEDULE: invalid `interval`: -0.0000001 ms is not a positive interval",
        "TASK_SCHEDULE: invalid `interval`: -123.456 ms is not a positive interval",
        "TASK_SCHEDULE: invalid `retry.attempts`: 1.5 is not a whole number from 1 to 1000",
        "TASK_SCHEDULE: invalid `retry.attempts`: 1000000000000000000000 is not a whole number from 1 to 1000",
        `TASK_SCHEDULE: invalid \`retry.attempts\`: 0.${"0".repeat(323)}5 is not a whole number from 1 to 1000`,
        "TASK_SCHEDULE: invalid `retry.backoffMs`: -2.5 ms is negative or not a number",
      ]);
    });
  });

  it("a key that is not finite, and a number key in a unique index's message", async () => {
    await runInDurableObject(env.STORE_BOX.getByName("number-messages"), (o: StoreBox) => {
      expect(refusal(() => o.store.get(["k", Number.NaN]))).toMatch(/^KEY_TYPE: invalid key: NaN is not a finite number;/);
      expect(refusal(() => o.store.get([Number.NEGATIVE_INFINITY]))).toMatch(/^KEY_TYPE: invalid key: -inf is not a finite number;/);
      o.store.put(["u", 1], { email: 0.1 } as never);
      o.store.put(["u", 2.5], { email: 42 } as never);
      expect(refusal(() => o.store.put(["u", -0.25], { email: 0.1 } as never))).toBe(
        'INDEX_UNIQUE: unique index `byEmail` already holds the key [0.1] for entry ["u", 1]; entry ["u", -0.25] was not written',
      );
      expect(refusal(() => o.store.put(["u", 1e21], { email: 42 } as never))).toBe(
        'INDEX_UNIQUE: unique index `byEmail` already holds the key [42] for entry ["u", 2.5]; entry ["u", 1000000000000000000000] was not written',
      );
    });
  });
});

describe("the options users write keep serde's words", () => {
  it("opts.retry of the wrong shape", async () => {
    await runInDurableObject(env.TASKS.getByName("retry-messages"), (o: Tasks) => {
      const retry = (value: unknown) => refusal(() => o.scheduler.after(10, "record", undefined, { retry: value as never }));
      expect(retry({ attempts: "3" })).toBe(`${RETRY} string "3", expected f64`);
      expect(retry({ attempts: 2, backoffMs: true })).toBe(`${RETRY} boolean \`true\`, expected f64`);
      expect(retry({ maxBackoffMs: [1] })).toMatch(new RegExp(`^${literal(RETRY)} JsValue\\(.*\\), expected f64$`));
      expect(retry({ jitter: 1 })).toBe(`${RETRY} floating point \`1.0\`, expected a boolean`);
      expect(retry({ jitter: "yes" })).toBe(`${RETRY} string "yes", expected a boolean`);
      expect(retry(5)).toBe(`${RETRY} floating point \`5.0\`, expected struct Retry`);
      expect(retry(-0.5)).toBe(`${RETRY} floating point \`-0.5\`, expected struct Retry`);
      expect(retry(Number.NaN)).toBe(`${RETRY} floating point \`NaN\`, expected struct Retry`);
      expect(retry("often")).toBe(`${RETRY} string "often", expected struct Retry`);
      expect(retry(true)).toBe(`${RETRY} boolean \`true\`, expected struct Retry`);
      // Absent, undefined and null fields are the defaults, as before.
      expect(o.scheduler.after(10, "record", undefined, { retry: { attempts: undefined, backoffMs: null } as never }).attempts).toBe(0);
    });
  });

  it("static sockets.rateLimit of the wrong shape", async () => {
    await runInDurableObject(env.TASKS.getByName("rate-messages"), (_o: Tasks, state) => {
      const rate = (rateLimit: unknown) => {
        class Configured extends DurableCore<Env> {
          static override sockets = { rateLimit } as SocketsOptions;
        }
        return refusal(() => new Configured(state, env).sockets);
      };
      const shown = (text: string) => `SOCKETS_OPTIONS_INVALID: static sockets.rateLimit ${text}: ${RATE_RULE}`;
      expect(rate({ messages: 0, perMs: 1000 })).toBe(shown("{ messages: 0, perMs: 1000 }"));
      expect(rate({ messages: 1, perMs: 1.5 })).toBe(shown("{ messages: 1, perMs: 1.5 }"));
      expect(rate({ messages: -0, perMs: 2 ** 32 })).toBe(shown("{ messages: -0, perMs: 4294967296 }"));
      expect(rate({ messages: 1 })).toBe(shown("(Error: missing field `perMs`)"));
      expect(rate({ perMs: 1 })).toBe(shown("(Error: missing field `messages`)"));
      expect(rate({ perMs: "x" })).toBe(shown('(Error: invalid type: string "x", expected f64)'));
      expect(rate({ messages: undefined, perMs: 1 })).toBe(shown("(Error: invalid type: unit value, expected f64)"));
      expect(rate({ messages: 1, perMs: new Uint8Array(2) })).toBe(shown("(Error: invalid type: byte array, expected f64)"));
      expect(rate(null)).toBe(shown("(Error: invalid type: unit value, expected struct RateLimitOption)"));
      expect(rate(20)).toBe(shown("(Error: invalid type: floating point `20.0`, expected struct RateLimitOption)"));
    });
  });
});

describe("arguments the facade builds", () => {
  it("a template of the wrong shape is ARGUMENT naming it, in the reader's words", () => {
    const refused = (template: unknown) => {
      try {
        sqlCompile(template);
      } catch (error) {
        const coded = error as { code?: string; message: string };
        return `${coded.code}: ${coded.message}`;
      }
      return "compiled";
    };
    const argument = (reason: string) => `ARGUMENT: invalid argument \`template\`: ${reason}`;
    expect(refused({ strings: ["SELECT 1"], holes: [] })).toBe("compiled");
    expect(refused(5)).toBe(argument("invalid type: expected struct Template"));
    expect(refused({ strings: ["SELECT 1"] })).toBe(argument("missing field `holes`"));
    expect(refused({ strings: [1], holes: [] })).toBe(argument("invalid type: `strings` must be a string"));
    expect(refused({ strings: ["a", "b"], holes: [{ kind: "nope" }] })).toBe(
      argument("unknown variant `nope`, expected one of `value`, `date`, `json`, `in`, `inItems`, `id`, `raw`, `fragment`, `join`"),
    );
    expect(refused({ strings: ["a", "b"], holes: [{ kind: "inItems", len: 1.5 }] })).toBe(
      argument("invalid value: `len` must be a whole number from 0 to 4294967295"),
    );
    expect(refused({ strings: ["a", "b"], holes: [{ kind: "fragment", strings: ["x"] }] })).toBe(argument("missing field `holes`"));
    expect(refused({ strings: ["a", "b"], holes: [{ kind: "join", parts: [{ strings: [""], holes: [] }] }] })).toBe(
      argument("missing field `separator`"),
    );
    expect(refused({ strings: ["SELECT ", ""], holes: [{ kind: "inItems", len: 2 }] })).toBe("compiled");
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
