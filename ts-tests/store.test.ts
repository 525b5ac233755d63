import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { DurableCoreError, type KeyPart } from "durable-core";
import { describe, expect, it } from "vitest";
import type { StoreBox, StoreEvolving, User } from "./fixtures/store.js";

function box(name: string) {
  return env.STORE_BOX.getByName(name);
}

/** The `DurableCoreError` `fn` throws (fails the test when it throws nothing). */
function thrownBy(fn: () => unknown): DurableCoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DurableCoreError);
    return error as DurableCoreError;
  }
  throw new Error("expected a DurableCoreError");
}

/** Lets the current turn end (its microtasks run), as between two events. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DurableCoreError);
    return (error as DurableCoreError).code;
  }
  return undefined;
}

/** A small deterministic generator, so a failing sequence can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("this.store: keys", () => {
  it("lists every key type in the documented order and decodes equal values", async () => {
    await runInDurableObject(box("order"), (o: StoreBox) => {
      const ordered: KeyPart[][] = [
        [null],
        [false],
        [true],
        [-1e300],
        [-2.5],
        [0],
        [0.5],
        [2],
        [10],
        [-(2n ** 70n)],
        [-1n],
        [0n],
        [1n],
        [2n ** 70n],
        [""],
        ["a"],
        ["a", 1],
        ["a\u0000"],
        ["ab"],
        ["é"],
        ["\u{10000}"],
        [new Uint8Array([])],
        [new Uint8Array([0])],
        [new Uint8Array([0, 0])],
        [new Uint8Array([1])],
        [["a"]],
        [["a", 1]],
        [["b"]],
      ];
      const shuffled = [...ordered].sort(() => Math.random() - 0.5);
      shuffled.forEach((key, i) => o.store.put(key, i));
      const listed = o.store.list();
      expect(listed.map((e) => e.key)).toEqual(ordered);
      expect(typeof listed[11]!.key[0]).toBe("bigint");
      expect(listed[21]!.key[0]).toBeInstanceOf(Uint8Array);
      expect(o.store.list({ reverse: true }).map((e) => e.key)).toEqual([...ordered].reverse());
    });
  });

  it("treats -0 as 0 and a bare part as a one-element tuple", async () => {
    await runInDurableObject(box("zero"), (o: StoreBox) => {
      o.store.put(-0, "zero");
      expect(o.store.get(0)).toBe("zero");
      expect(o.store.get([0])).toBe("zero");
      o.store.put("name", 1);
      expect(o.store.list().map((e) => e.key)).toEqual([[0], ["name"]]);
    });
  });

  it("keeps store keys in their own kv namespace", async () => {
    await runInDurableObject(box("namespace"), (o: StoreBox) => {
      o.rawKv().put("user-raw", 1);
      o.store.put(["user", 1], "mine");
      expect(o.store.list().map((e) => e.value)).toEqual(["mine"]);
      expect(o.store.count()).toBe(1);
      const raw = [...o.rawKv().list()].map(([k]) => k);
      expect(raw).toContain("user-raw");
      expect(raw.filter((k) => k.startsWith("\u001f"))).toHaveLength(1);
    });
  });

  it("refuses bad keys with KEY_TYPE and long ones with KEY_TOO_LARGE, writing nothing", async () => {
    await runInDurableObject(box("bad-keys"), (o: StoreBox) => {
      for (const bad of [undefined, NaN, Infinity, -Infinity, {}, [], [[]], [1, undefined], Symbol("s"), "\ud800"]) {
        expect(codeOf(() => o.store.put(bad as never, 1)), String(bad)).toBe("KEY_TYPE");
      }
      expect(codeOf(() => o.store.get(NaN))).toBe("KEY_TYPE");
      expect(codeOf(() => o.store.put("x".repeat(2046), 1))).toBe("KEY_TOO_LARGE");
      o.store.put("x".repeat(2045), 1);
      expect(o.store.count()).toBe(1);
    });
  });
});

describe("this.store: values and basic operations", () => {
  it("round-trips JSON values and Uint8Array; put replaces, delete reports", async () => {
    await runInDurableObject(box("values"), (o: StoreBox) => {
      const value = { a: [1, "two", null, true, { deep: [0.5] }], bytes: new Uint8Array([1, 2, 3]), big: 5n };
      o.store.put(["v", 1], value);
      expect(o.store.get(["v", 1])).toEqual(value);
      expect((o.store.get(["v", 1]) as typeof value).bytes).toBeInstanceOf(Uint8Array);
      expect(o.store.has(["v", 1])).toBe(true);
      expect(o.store.has(["v", 2])).toBe(false);
      o.store.put(["v", 1], "replaced");
      expect(o.store.getMany([["v", 1], ["v", 2]])).toEqual(["replaced", undefined]);
      expect(o.store.delete(["v", 1])).toBe(true);
      expect(o.store.delete(["v", 1])).toBe(false);
      expect(o.store.get(["v", 1])).toBeUndefined();
    });
  });

  it("refuses values that are not data with STORE_VALUE, and huge ones with STORE_VALUE_TOO_LARGE", async () => {
    await runInDurableObject(box("bad-values"), (o: StoreBox) => {
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      for (const bad of [undefined, () => 1, Symbol("s"), cycle, [1, undefined], new Map(), new Date(0)]) {
        expect(codeOf(() => o.store.put("k", bad)), String(bad)).toBe("STORE_VALUE");
      }
      expect(codeOf(() => o.store.put("k", "x".repeat(2_000_000)))).toBe("STORE_VALUE_TOO_LARGE");
      expect(codeOf(() => o.store.put("k", "é€".repeat(600_000)))).toBe("STORE_VALUE_TOO_LARGE");
      expect(o.store.count()).toBe(0);
      // Just under the limit is accepted by the platform too.
      o.store.put("big", "x".repeat(1_900_000));
      expect((o.store.get("big") as string).length).toBe(1_900_000);
    });
  });
});

describe("this.store: ranges", () => {
  it("a prefix holds exactly its extensions; start, startAfter, end, reverse, limit", async () => {
    await runInDurableObject(box("ranges"), (o: StoreBox) => {
      for (const id of [4, 42, 420, 43]) for (const s of [1, 2, 3]) o.store.put(["user", id, "session", s], s);
      o.store.put(["user", 42], "profile");
      const keys = (range: Parameters<typeof o.store.list>[0]) => o.store.list(range).map((e) => e.key);
      expect(keys({ prefix: ["user", 42] })).toEqual([
        ["user", 42],
        ["user", 42, "session", 1],
        ["user", 42, "session", 2],
        ["user", 42, "session", 3],
      ]);
      expect(keys({ prefix: ["user", 42], reverse: true, limit: 2 })).toEqual([
        ["user", 42, "session", 3],
        ["user", 42, "session", 2],
      ]);
      expect(keys({ prefix: ["user", 42, "session"], start: ["user", 42, "session", 2] })).toHaveLength(2);
      expect(keys({ prefix: ["user", 42, "session"], startAfter: ["user", 42, "session", 2] })).toEqual([
        ["user", 42, "session", 3],
      ]);
      expect(keys({ start: ["user", 43], end: ["user", 420] })).toHaveLength(3);
      expect(keys({ start: ["user", 5], end: ["user", 1] })).toEqual([]);
      expect(o.store.count({ prefix: ["user"] })).toBe(13);
      expect(o.store.count({ prefix: ["user"], limit: 5 })).toBe(5);
    });
  });

  it("entries() pages lazily through large ranges in both directions", async () => {
    await runInDurableObject(box("paging"), (o: StoreBox) => {
      o.store.batch(() => {
        for (let i = 0; i < 700; i++) o.store.put(["n", i], i);
      });
      const forward = [...o.store.entries<number>({ prefix: ["n"] })].map((e) => e.value);
      expect(forward).toEqual(Array.from({ length: 700 }, (_, i) => i));
      const backward = [...o.store.entries<number>({ prefix: ["n"], reverse: true, limit: 600 })].map((e) => e.value);
      expect(backward).toEqual(Array.from({ length: 600 }, (_, i) => 699 - i));
      expect(o.store.deleteRange({ prefix: ["n"], start: ["n", 100], limit: 300 })).toBe(300);
      expect(o.store.count({ prefix: ["n"] })).toBe(400);
      expect(o.store.get(["n", 399])).toBeUndefined();
      expect(o.store.get(["n", 400])).toBe(400);
    });
  });
});

describe("this.store: batch", () => {
  it("a throw inside writes nothing; a normal return commits everything", async () => {
    await runInDurableObject(box("batch"), (o: StoreBox) => {
      o.store.put(["b"], "kept");
      expect(() =>
        o.store.batch((tx) => {
          tx.put(["a"], 1);
          tx.delete(["b"]);
          expect(tx.get(["a"])).toBe(1);
          throw new Error("user abort");
        }),
      ).toThrow("user abort");
      expect(o.store.get(["a"])).toBeUndefined();
      expect(o.store.get(["b"])).toBe("kept");
      o.store.batch((tx) => {
        tx.put(["a"], 1);
        tx.delete(["b"]);
      });
      expect(o.store.list().map((e) => e.key)).toEqual([["a"]]);
      expect(codeOf(() => o.store.batch((async () => undefined) as never))).toBe("TRANSACTION_ASYNC");
    });
  });

  it("refuses an async function before it runs, and rolls back one that returns a thenable (ARGUMENT)", async () => {
    await runInDurableObject(box("batch-async"), async (o: StoreBox) => {
      const late = async (tx: { put(key: KeyPart, value: unknown): void }) => {
        tx.put(["early"], 1);
        await null;
        tx.put(["late"], 1);
      };
      expect(thrownBy(() => o.store.batch(late as never)).code).toBe("TRANSACTION_ASYNC");
      expect(
        codeOf(() =>
          o.store.batch((tx) => {
            tx.put(["thenable"], 1);
            return { then: () => undefined };
          }),
        ),
      ).toBe("TRANSACTION_ASYNC");
      expect(
        codeOf(() =>
          o.store.batch(() => {
            o.store.batch(late as never);
          }),
        ),
      ).toBe("TRANSACTION_ASYNC");
      await nextTurn();
      // Nothing ran after the `await`, so nothing committed outside a transaction.
      expect(o.store.getMany([["early"], ["late"], ["thenable"]])).toEqual([undefined, undefined, undefined]);
    });
  });

  it("survives an engine trap inside the batch: nothing written, the store works on the new instance", async () => {
    await runInDurableObject(box("batch-trap"), async (o: StoreBox) => {
      await o.store.ready();
      o.store.put(["user", 1], { email: "a@example.com" } satisfies User);
      expect(
        codeOf(() =>
          o.store.batch((tx) => {
            tx.put(["user", 2], { email: "b@example.com" } satisfies User);
            o.trap();
          }),
        ),
      ).toBe("ENGINE_RESET");
      expect(o.store.get(["user", 2])).toBeUndefined();
      // A trap caught inside the batch: the writes after it go to the new instance and commit.
      o.store.batch((tx) => {
        expect(codeOf(() => o.trap())).toBe("ENGINE_RESET");
        tx.put(["user", 3], { email: "c@example.com" } satisfies User);
      });
      expect(o.store.index("byEmail").get("c@example.com")?.key).toEqual(["user", 3]);
      expect(o.store.index("byEmail").get("a@example.com")?.key).toEqual(["user", 1]);
      expect(o.store.index("byEmail").get("b@example.com")).toBeUndefined();
      o.store.batch((tx) => {
        tx.put(["user", 4], { email: "d@example.com" } satisfies User);
      });
      expect(o.store.index("byEmail").count()).toBe(3);
      expect(codeOf(() => o.store.put(["user", 5], { email: "d@example.com" }))).toBe("INDEX_UNIQUE");
    });
  });
});

describe("this.store: indexes", () => {
  it("get, list, entries and count return primary entries", async () => {
    await runInDurableObject(box("index-basic"), async (o: StoreBox) => {
      await o.store.ready();
      o.store.put(["user", 1], { email: "ada@example.com", age: 36 } satisfies User);
      o.store.put(["user", 2], { email: "bob@example.com", age: 36 } satisfies User);
      o.store.put(["user", 3], { email: "cy@example.com" } satisfies User);
      const ada = o.store.index<User>("byEmail").get("ada@example.com");
      expect(ada?.key).toEqual(["user", 1]);
      expect(ada?.value.age).toBe(36);
      expect(o.store.index("byEmail").get("nobody@example.com")).toBeUndefined();
      const age36 = o.store.index<User>("byAge").list({ prefix: ["age", 36] });
      expect(age36.map((e) => e.key)).toEqual([["user", 1], ["user", 2]]);
      expect(o.store.index("byAge").count()).toBe(2);
      expect([...o.store.index("byEmail").entries({ reverse: true })].map((e) => e.key)).toEqual([
        ["user", 3],
        ["user", 2],
        ["user", 1],
      ]);
      // Moving a key and deleting keep the index in step.
      o.store.put(["user", 1], { email: "ada@new.example", age: 37 } satisfies User);
      expect(o.store.index("byEmail").get("ada@example.com")).toBeUndefined();
      expect(o.store.index("byAge").count({ prefix: ["age", 36] })).toBe(1);
      o.store.delete(["user", 2]);
      expect(o.store.index("byAge").count({ prefix: ["age", 36] })).toBe(0);
    });
  });

  it("INDEX_UNIQUE and INDEX_UNKNOWN write nothing", async () => {
    await runInDurableObject(box("index-errors"), async (o: StoreBox) => {
      await o.store.ready();
      o.store.put(["user", 1], { email: "ada@example.com" } satisfies User);
      expect(codeOf(() => o.store.put(["user", 2], { email: "ada@example.com", age: 3 }))).toBe("INDEX_UNIQUE");
      expect(o.store.get(["user", 2])).toBeUndefined();
      expect(o.store.index("byAge").count()).toBe(0);
      expect(
        codeOf(() =>
          o.store.batch((tx) => {
            tx.put(["user", 3], { email: "cy@example.com" });
            tx.put(["user", 4], { email: "cy@example.com" });
          }),
        ),
      ).toBe("INDEX_UNIQUE");
      expect(o.store.get(["user", 3])).toBeUndefined();
      expect(codeOf(() => o.store.index("byName"))).toBe("INDEX_UNKNOWN");
    });
  });

  it("stay consistent with a brute-force model over a long random sequence", async () => {
    await runInDurableObject(box("index-model"), async (o: StoreBox) => {
      await o.store.ready();
      const random = seeded(5);
      const model = new Map<number, User>();
      const pick = (n: number) => Math.floor(random() * n);
      const user = (): User => ({ email: `e${pick(15)}`, ...(random() < 0.7 ? { age: pick(6) } : {}) });
      const modelPut = (m: Map<number, User>, id: number, u: User) => {
        for (const [other, v] of m) if (other !== id && v.email === u.email) return false;
        m.set(id, u);
        return true;
      };
      for (let step = 0; step < 400; step++) {
        const roll = random();
        if (roll < 0.55) {
          const id = pick(25);
          const u = user();
          const ok = modelPut(model, id, u);
          expect(codeOf(() => o.store.put(["u", id], u))).toBe(ok ? undefined : "INDEX_UNIQUE");
        } else if (roll < 0.75) {
          const id = pick(25);
          expect(o.store.delete(["u", id])).toBe(model.delete(id));
        } else if (roll < 0.85) {
          const [a, b] = [pick(25), pick(25)].sort((x, y) => x - y) as [number, number];
          let removed = 0;
          for (const id of [...model.keys()]) if (id >= a && id < b && model.delete(id)) removed += 1;
          expect(o.store.deleteRange({ start: ["u", a], end: ["u", b] })).toBe(removed);
        } else {
          const staged = new Map(model);
          const ops = Array.from({ length: 1 + pick(4) }, () => ({ id: pick(25), u: user(), del: random() < 0.3 }));
          const throws = random() < 0.3;
          let ok = true;
          for (const op of ops) {
            if (op.del) staged.delete(op.id);
            else ok &&= modelPut(staged, op.id, op.u);
          }
          const code = codeOf(() =>
            o.store.batch((tx) => {
              for (const op of ops) {
                if (op.del) tx.delete(["u", op.id]);
                else tx.put(["u", op.id], op.u);
              }
              if (throws) throw new DurableCoreError("TEST_ABORT" as never, "abort");
            }),
          );
          if (!ok) expect(code).toBe("INDEX_UNIQUE");
          else if (throws) expect(code).toBe("TEST_ABORT");
          else {
            expect(code).toBeUndefined();
            for (const [k] of model) if (!staged.has(k)) model.delete(k);
            for (const [k, v] of staged) model.set(k, v);
          }
        }
        if (step % 20 === 19) checkAgainstModel(o, model);
      }
      checkAgainstModel(o, model);
    });
  });

  it("the index read cache stays coherent when a sql.transaction or a raw transactionSync rolls back", async () => {
    await runInDurableObject(box("index-cache-rollback"), async (o: StoreBox) => {
      await o.store.ready();
      o.store.put(["user", 1], { email: "old@example.com" } satisfies User);
      await nextTurn();
      const byEmail = o.store.index<User>("byEmail");
      expect(byEmail.get("old@example.com")?.key).toEqual(["user", 1]);
      const committed = () => {
        expect(byEmail.get("old@example.com")?.value).toEqual({ email: "old@example.com" });
        expect(byEmail.get("new@example.com")).toBeUndefined();
      };
      const moveThenThrow = () => {
        o.store.put(["user", 1], { email: "new@example.com" } satisfies User);
        // Read inside the transaction: these lookups see rows the rollback will undo.
        expect(byEmail.get("new@example.com")?.key).toEqual(["user", 1]);
        expect(byEmail.get("old@example.com")).toBeUndefined();
        throw new Error("roll back");
      };
      for (const run of [(fn: () => void) => o.sql.transaction(fn), (fn: () => void) => o.rawTransaction(fn)]) {
        expect(() => run(moveThenThrow)).toThrow("roll back");
        committed();
        await nextTurn();
        committed(); // fills the cache again
        committed(); // served from it
      }
    });
  });

  it("data and indexes are intact after eviction", async () => {
    const stub = box("index-evict");
    await runInDurableObject(stub, async (o: StoreBox) => {
      await o.store.ready();
      o.store.put(["user", 1], { email: "ada@example.com", age: 36 } satisfies User);
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, (o: StoreBox) => {
      expect(o.store.get(["user", 1])).toEqual({ email: "ada@example.com", age: 36 });
      expect(o.store.index("byEmail").get("ada@example.com")?.key).toEqual(["user", 1]);
      expect(o.store.index("byAge").count({ prefix: ["age", 36] })).toBe(1);
    });
  });

  it("an index added to an existing store is built on the next wake; a changed one is rebuilt", async () => {
    const stub = env.STORE_EVOLVING.getByName("evolving");
    await runInDurableObject(stub, (o: StoreEvolving) => {
      o.store.batch(() => {
        for (let i = 0; i < 1200; i++) o.store.put(["item", i], { colour: i % 3 === 0 ? "red" : "blue", n: i });
      });
      (o.constructor as typeof StoreEvolving).indexes = { byColour: { key: (v: { colour: string }) => v.colour } };
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (o: StoreEvolving) => {
      await o.store.ready();
      expect(o.store.index("byColour").count({ prefix: "red" })).toBe(400);
      (o.constructor as typeof StoreEvolving).indexes = {
        byColour: { key: (v: { colour: string; n: number }) => (v.n < 10 ? v.colour : undefined) },
      };
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (o: StoreEvolving) => {
      await o.store.ready();
      expect(o.store.index("byColour").count()).toBe(10);
      (o.constructor as typeof StoreEvolving).indexes = {};
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, (o: StoreEvolving) => {
      o.store.put(["item", 0], { colour: "green", n: 0 });
      expect(o.rawSql<{ n: number }>("SELECT count(*) AS n FROM _dc_store_index")[0]!.n).toBe(0);
    });
  });
});

describe("this.store: index builds on wake", () => {
  it("a wake builds at most 4 chunks (2,000 entries); the rest follows in the background", async () => {
    const stub = env.STORE_EVOLVING.getByName("wake-budget");
    await runInDurableObject(stub, (o: StoreEvolving) => {
      o.store.batch(() => {
        for (let i = 0; i < 6000; i++) o.store.put(["item", i], { n: i });
      });
      (o.constructor as typeof StoreEvolving).indexes = { byN: { key: (v: { n: number }) => v.n } };
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (o: StoreEvolving) => {
      expect(o.indexRowsAtStart).toBe(2000);
      await o.store.ready();
      expect(o.store.index("byN").count()).toBe(6000);
      (o.constructor as typeof StoreEvolving).indexes = {};
    });
  });

  it("a key function that throws fails its index (INDEX_KEY_FUNCTION, naming the entry) without breaking the wake; ready() rejects", async () => {
    type Item = { n: number; colour: string };
    const stub = env.STORE_EVOLVING.getByName("throwing-key");
    const Evolving = (o: StoreEvolving) => o.constructor as typeof StoreEvolving;
    await runInDurableObject(stub, (o: StoreEvolving) => {
      o.store.batch(() => {
        for (let i = 0; i < 3000; i++) o.store.put(["item", i], { n: i, colour: i % 2 === 1 ? "odd" : "even" });
      });
      Evolving(o).indexes = {
        // Built first, during the wake.
        aEarly: {
          key: (v: Item) => {
            if (v.n === 7) throw new RangeError("no seven");
            return v.n;
          },
        },
        byColour: { key: (v: Item) => v.colour },
        // Built last, in the background after the wake.
        zLate: {
          key: (v: Item) => {
            if (v.n === 2900) throw new Error("no 2900");
            return v.n;
          },
        },
      };
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (o: StoreEvolving) => {
      // The build's own error, not a uniqueness problem, and the entry as the user writes keys.
      await expect(o.store.ready()).rejects.toMatchObject({ code: "INDEX_KEY_FUNCTION", message: expect.stringContaining("index `aEarly`") });
      const early = thrownBy(() => o.store.index("aEarly").count());
      expect(early.code).toBe("INDEX_KEY_FUNCTION");
      expect(early.message).toContain("RangeError: no seven");
      expect(early.message).toContain('entry ["item", 7]');
      const late = thrownBy(() => o.store.index("zLate").get(1));
      expect(late.code).toBe("INDEX_KEY_FUNCTION");
      expect(late.message).toContain("no 2900");
      expect(o.store.index("byColour").count({ prefix: "odd" })).toBe(1500);
      // Writes keep maintaining the index still alive, with its own key.
      o.store.put(["item", 5000], { n: 5000, colour: "green" } satisfies Item);
      expect(o.store.index("byColour").get("green")?.key).toEqual(["item", 5000]);
      expect(o.store.index("byColour").count()).toBe(3001);
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, (o: StoreEvolving) => {
      expect(codeOf(() => o.store.index("aEarly").count())).toBe("INDEX_KEY_FUNCTION");
      expect(o.store.index("byColour").count()).toBe(3001);
      Evolving(o).indexes = {};
    });
  });
});

function checkAgainstModel(o: StoreBox, model: Map<number, User>): void {
  const ids = [...model.keys()].sort((a, b) => a - b);
  expect(o.store.list({ prefix: ["u"] }).map((e) => e.key)).toEqual(ids.map((id) => ["u", id]));
  for (let e = 0; e < 15; e++) {
    const holder = ids.find((id) => model.get(id)!.email === `e${e}`);
    expect(o.store.index("byEmail").get(`e${e}`)?.key ?? null).toEqual(holder === undefined ? null : ["u", holder]);
  }
  for (let age = 0; age < 6; age++) {
    const expected = ids.filter((id) => model.get(id)!.age === age).map((id) => ["u", id]);
    expect(o.store.index("byAge").list({ prefix: ["age", age] }).map((e) => e.key)).toEqual(expected);
  }
  const rows = o.rawSql<{ n: number }>("SELECT count(*) AS n FROM _dc_store_index")[0]!.n;
  const expectedRows = ids.length + ids.filter((id) => model.get(id)!.age !== undefined).length;
  expect(rows).toBe(expectedRows);
}
