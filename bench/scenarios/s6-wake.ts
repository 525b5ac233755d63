// S6W — the CPU part of S6's cold start: `n` wakes of each kind, run inside one object
// (`OursColdEmpty.wakeLoop`), each with a context of its own (a new object id, so a new engine
// handle) over that object's storage, in a transaction rolled back after it. No disk, no
// isolate hop: what the JS, the wasm and the statements of a fresh wake cost. Not part of a
// full run:
//
//   bash scripts/bench.sh --only S6W --rounds 5
//
// Findings: docs/reports/s6-lazy-schema.md.
import type { OursColdEmpty, WakeKind } from "../ours";
import type { Scenario } from "../harness";

export interface S6WParams {
  n: number;
}

function side(label: string, kind: WakeKind) {
  return {
    label,
    binding: "OURS_COLD_EMPTY" as const,
    run: (obj: OursColdEmpty, p: S6WParams) => {
      const ms = obj.wakeLoop(kind, p.n);
      return { timings: { perWake: (ms / p.n) * 1000 } };
    },
  };
}

export const s6Wake: Scenario<S6WParams> = {
  id: "S6W",
  title: "probes of S6: the CPU of a fresh wake, rolled back (no disk)",
  sizes: { full: { n: 1000 }, smoke: { n: 10 } },
  metrics: [{ key: "perWake", label: "one wake (µs)" }],
  baseline: "none",
  probeOnly: true,
  sides: {
    none: side("the loop and its rollback only", "none"),
    rawCreate: side("raw: the migration's CREATE TABLE", "rawCreate"),
    rawRead: side("raw: the failing ledger read", "rawRead"),
    rawExists: side("raw: whether the ledger exists (sqlite_master)", "rawExists"),
    rawLedger: side("raw: CREATE TABLE, ledger CREATE+INSERT (no read)", "rawLedger"),
    rawSame: side("raw: OursCold's statements (3 execs)", "rawSame"),
    rawFewer: side("raw: ledger CREATE+read; CREATE+INSERT (2 execs)", "rawFewer"),
    oursEmpty: side("durable-core, nothing declared", "oursEmpty"),
    oursTable: side("durable-core, nothing declared, CREATE in onStart", "oursTable"),
    ours: side("durable-core, 1 migration (OursCold)", "ours"),
  },
  notes: [],
};
