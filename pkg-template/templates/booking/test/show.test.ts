import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expectCode, runDueTasks } from "durable-core/testing";
import { describe, expect, it } from "vitest";

const HOLD_MS = Number(env.HOLD_SECONDS) * 1000;

/** A show with `seats` seats on sale; every test uses its own show. */
async function show(name: string, seats = 10) {
  const stub = env.SHOWS.getByName(name);
  expect(await stub.open(seats)).toBe(seats);
  return stub;
}

describe("Show", () => {
  it("holds seats, then books them on confirm", async () => {
    const gig = await show("confirm");
    const held = await gig.hold("ada", [3, 1]);
    if (!held.ok) throw new Error("hold refused");
    expect(held.hold.seats).toEqual([1, 3]);
    expect(held.hold.expiresAt).toBeGreaterThan(Date.now());
    expect(await gig.availability()).toMatchObject({ seats: 10, held: 2, booked: 0 });

    const confirmed = await gig.confirm(held.hold.id);
    if (!confirmed.ok) throw new Error(`confirm refused: ${confirmed.reason}`);
    expect(confirmed.booking).toMatchObject({ customer: "ada", seats: [1, 3] });
    expect(await gig.availability()).toMatchObject({ held: 0, booked: 2, free: [2, 4, 5, 6, 7, 8, 9, 10] });
    expect(await gig.bookingsOf("ada")).toEqual([confirmed.booking]);
    // Confirming cancelled the expiry task: nothing runs when the hold would have expired.
    expect(await runDueTasks(gig, { until: held.hold.expiresAt + 1 })).toEqual([]);
    expect(await gig.confirm(held.hold.id)).toEqual({ ok: false, reason: "unknown hold" });
  });

  it("lets one customer win a seat that many request at once", async () => {
    const gig = await show("race", 5);
    const customers = Array.from({ length: 20 }, (_, i) => `customer-${i}`);
    const results = await Promise.all(customers.map((customer) => gig.hold(customer, [1, 2])));
    const winners = results.filter((result) => result.ok);
    expect(winners).toHaveLength(1);
    for (const result of results) if (!result.ok) expect(result.unavailable).toEqual([1, 2]);
    expect(await gig.availability()).toMatchObject({ held: 2, free: [3, 4, 5] });
  });

  it("holds all the seats asked for or none", async () => {
    const gig = await show("all-or-none", 4);
    expect((await gig.hold("ada", [2])).ok).toBe(true);
    expect(await gig.hold("bob", [1, 2, 3])).toEqual({ ok: false, unavailable: [2] });
    expect(await gig.hold("bob", [4, 5])).toEqual({ ok: false, unavailable: [5] });
    expect(await gig.availability()).toMatchObject({ held: 1, free: [1, 3, 4] });
  });

  it("puts the seats of an expired hold back on sale, through the scheduler", async () => {
    const gig = await show("expiry", 3);
    const held = await gig.hold("ada", [1, 2]);
    if (!held.ok) throw new Error("hold refused");
    // Nothing is due before the hold ends...
    expect(await runDueTasks(gig, { until: held.hold.expiresAt - 1 })).toEqual([]);
    // ...then its expiry task runs, as the alarm would run it.
    const runs = await runDueTasks(gig, { until: held.hold.expiresAt });
    expect(runs).toMatchObject([{ id: `hold/${held.hold.id}`, method: "expireHold", ok: true }]);
    expect(await gig.availability()).toMatchObject({ held: 0, free: [1, 2, 3] });
    expect((await gig.hold("bob", [1])).ok).toBe(true);
  });

  it("refuses to confirm a hold past its time, even before its expiry task ran", async () => {
    const gig = await show("late", 2);
    const held = await gig.hold("ada", [1]);
    if (!held.ok) throw new Error("hold refused");
    await runInDurableObject(gig, (obj) => {
      obj.sql.run`UPDATE holds SET expires_at = ${Date.now() - 1} WHERE id = ${held.hold.id}`;
    });
    expect(await gig.confirm(held.hold.id)).toEqual({ ok: false, reason: "expired" });
    expect(await gig.availability()).toMatchObject({ held: 0, booked: 0, free: [1, 2] });
    // The task finds the hold gone and changes nothing (tasks are at-least-once).
    const runs = await runDueTasks(gig, { until: Date.now() + HOLD_MS });
    expect(runs).toMatchObject([{ method: "expireHold", ok: true }]);
    expect(await gig.availability()).toMatchObject({ free: [1, 2] });
  });

  it("releases a hold on request, and its task with it", async () => {
    const gig = await show("release", 2);
    const held = await gig.hold("ada", [1, 2]);
    if (!held.ok) throw new Error("hold refused");
    expect(await gig.release(held.hold.id)).toBe(true);
    expect(await gig.release(held.hold.id)).toBe(false);
    expect(await gig.availability()).toMatchObject({ free: [1, 2] });
    expect(await runDueTasks(gig, { until: held.hold.expiresAt })).toEqual([]);
  });

  it("refuses bad input with the ARGUMENT code, and changes nothing", async () => {
    const gig = await show("bad-input", 3);
    await expectCode(gig.hold("ada", [-1]), "ARGUMENT");
    await expectCode(gig.hold("ada", [1.5]), "ARGUMENT");
    await expectCode(gig.hold("ada", []), "ARGUMENT");
    await expectCode(gig.hold("ada", [1, 1]), "ARGUMENT");
    await expectCode(gig.hold("", [1]), "ARGUMENT");
    await expectCode(gig.open(0), "ARGUMENT");
    expect(await gig.availability()).toMatchObject({ seats: 3, held: 0, free: [1, 2, 3] });
  });

  it("serves the same through the Worker's JSON API", async () => {
    await show("http", 2);
    const post = (path: string, body?: unknown) =>
      exports.default.fetch(`https://shows.test/shows/http${path}`, { method: "POST", body: JSON.stringify(body ?? {}) });
    const created = await post("/holds", { customer: "ada", seats: [1] });
    expect(created.status).toBe(201);
    const { hold } = await created.json<{ hold: { id: string } }>();
    expect((await post("/holds", { customer: "bob", seats: [1] })).status).toBe(409);
    expect((await post("/holds", { customer: "bob", seats: [0] })).status).toBe(400);
    expect((await post(`/holds/${hold.id}/confirm`)).status).toBe(200);
    const availability = await (await exports.default.fetch("https://shows.test/shows/http")).json();
    expect(availability).toMatchObject({ booked: 1, free: [2] });
  });
});
