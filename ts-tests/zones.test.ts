// The facade's time-zone lookup (Intl, in workerd) against chrono-tz's offsets for the same
// instants: the seconds around every offset change of a dozen zones, 2000-2040 (the fixture is
// written and kept current by tests/zone_offsets.rs). Then cron in a zone end to end.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { zoneOffsetSeconds } from "durable-core/test-zones";
import { describe, expect, it } from "vitest";
import cases from "./fixtures/zone-cases.json";

describe("time-zone offsets from Intl", () => {
  it("agree with chrono-tz around every transition of the fixture's zones", () => {
    const table = cases as [string, number, number][];
    expect(table.length).toBeGreaterThan(1_000);
    const wrong = table.filter(([zone, at, offset]) => zoneOffsetSeconds(zone, at) !== offset);
    expect(wrong.slice(0, 5).map(([zone, at, offset]) => [zone, at, offset, zoneOffsetSeconds(zone, at)])).toEqual([]);
  });

  it("answer NaN for zones the runtime does not know, and for no instant", () => {
    for (const zone of ["Mars/Olympus_Mons", "Europe/Pariss", "", "Nowhere/Atlantis"]) {
      expect(zoneOffsetSeconds(zone, 0)).toBeNaN();
    }
    expect(zoneOffsetSeconds("Europe/Paris", Number.NaN)).toBeNaN();
  });

  it("carry seconds of historical offsets and years before 100", () => {
    // Paris kept its local mean time (+0:09:21) until 1911.
    expect(zoneOffsetSeconds("Europe/Paris", Date.UTC(1900, 0, 1) / 1000)).toBe(561);
    const year50 = new Date(0);
    year50.setUTCFullYear(50, 5, 1);
    expect(zoneOffsetSeconds("UTC", year50.getTime() / 1000)).toBe(0);
  });

  it("drive cron in the core: 09:00 in Kolkata (UTC+5:30) and Kathmandu (UTC+5:45), unknown zones refused before anything is stored", async () => {
    const stub = env.TASKS.getByName("zones-cron");
    await runInDurableObject(stub, (o) => {
      const kolkata = o.scheduler.cron("0 9 * * *", "record", undefined, { id: "kolkata", timezone: "Asia/Kolkata" });
      const kathmandu = o.scheduler.cron("0 9 * * *", "record", undefined, { id: "kathmandu", timezone: "Asia/Kathmandu" });
      for (const [task, minutes] of [[kolkata, 30], [kathmandu, 15]] as const) {
        const due = new Date(task.due);
        expect([due.getUTCHours(), due.getUTCMinutes(), due.getUTCSeconds()]).toEqual([3, minutes, 0]);
        expect(task.due - Date.now()).toBeLessThanOrEqual(86_400_000);
      }
      expect(() => o.scheduler.cron("0 9 * * *", "record", undefined, { id: "mars", timezone: "Mars/Olympus_Mons" })).toThrow(
        expect.objectContaining({ code: "CRON_TIMEZONE" }),
      );
      expect(o.scheduler.get("mars")).toBeUndefined();
      expect(o.scheduler.list().map((t) => t.id).sort()).toEqual(["kathmandu", "kolkata"]);
    });
  });
});
