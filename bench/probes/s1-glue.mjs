// S1 probe: the cost of one `schedulerSchedule` call through the wasm glue and the core, over
// a fake `sql.exec` that does no SQL, for two builds of the package in one Node process (rounds
// alternate between them). It isolates what the binding and the core add to the INSERT itself.
//   node_modules/.bin/node bench/probes/s1-glue.mjs <pkg dir before> <pkg dir after> [calls per round] [payload bytes]
// (absolute paths). With payload bytes, every call's payload is a JSON string of about that
// size instead of `{"i":…}`. Figures: docs/reports/s1-s2-scheduler.md.
import { readFileSync } from "node:fs";
const dirs = process.argv.slice(2, 4);
const N = Number(process.argv[4] ?? 50000);
const PAYLOAD_BYTES = process.argv[5] === undefined ? undefined : Number(process.argv[5]);
const big = PAYLOAD_BYTES === undefined ? undefined : "x".repeat(PAYLOAD_BYTES - 12);
const payload = (i) => (big === undefined ? JSON.stringify({ i }) : JSON.stringify(`${i}:${big}`));
// The alarm state the fake returns (armed time, earliest due time): an alarm armed at 1, earlier
// than every task, as in S1 after its first call, so that each build takes its hot path (main's
// guarded INSERT, or the covered one) rather than deciding an alarm every call.
const ARMED = [[1, 1]];
const cursorNoRows = { rowsWritten: 1, raw() { return { toArray() { return []; } }; } };
const fakeSql = {
  exec(q) {
    if (q.includes("RETURNING")) return { rowsWritten: 1, raw() { return { toArray() { return ARMED; } }; } };
    if (q.startsWith("SELECT (SELECT ifnull")) return { rowsWritten: 0, raw() { return { toArray() { return ARMED; } }; } };
    return cursorNoRows;
  },
};
const engines = [];
for (const dir of dirs) {
  const mod = await import(`${dir}/dist/wasm/durable_core.js?${engines.length}`);
  mod.initSync({ module: new WebAssembly.Module(readFileSync(`${dir}/dist/wasm/durable_core_bg.wasm`)) });
  engines.push(new mod.Engine(fakeSql, crypto.getRandomValues(new Uint32Array(4))));
}
const now = Date.now();
const base = now + 3_600_000;
// The task kind as each build takes it: a number since the schedule call crosses no string for
// it, the kind's name before.
const kinds = engines.map((engine) => {
  try {
    engine.schedulerSchedule(0, base, undefined, undefined, undefined, "onBenchTask", payload(0), undefined, now);
    return 0;
  } catch {
    return "at";
  }
});
function run(engine) {
  let last;
  const kind = kinds[engines.indexOf(engine)];
  for (let i = 0; i < N; i++) last = engine.schedulerSchedule(kind, base + ((i * 7919) % 3_600_000), undefined, undefined, undefined, "onBenchTask", payload(i), undefined, now);
  return last;
}
const times = dirs.map(() => []);
for (let r = 0; r < 12; r++) {
  for (let k = 0; k < engines.length; k++) {
    const t = performance.now();
    run(engines[k]);
    if (r >= 2) times[k].push((performance.now() - t) * 1000 / N);
  }
}
for (let k = 0; k < dirs.length; k++) {
  const sorted = times[k].sort((a, b) => a - b);
  console.log(`${dirs[k]}: median ${sorted[sorted.length >> 1].toFixed(3)} µs/call, min ${sorted[0].toFixed(3)}, max ${sorted.at(-1).toFixed(3)}`);
}
console.log("sample result", JSON.stringify(run(engines.at(-1))));
