// S1 probe: the cost of the facade's checks of one `scheduler.at()` call (`checkSchedule`: the
// method, then the payload's JSON text), for two builds of the package in one Node process
// (rounds alternate between them). No engine, no SQL: only what runs before the core is called.
//   node_modules/.bin/node bench/probes/s1-payload.mjs <pkg dir before> <pkg dir after> [calls per round]
// (absolute paths). Each round times three payload shapes: `{ i }` (S1's), a flat object of four
// fields, and a nested one (which takes the checked walk in every build). Figures:
// docs/reports/s1-s2-scheduler.md.
const dirs = process.argv.slice(2, 4);
const N = Number(process.argv[4] ?? 200_000);
const builds = [];
for (const dir of dirs) builds.push(await import(`${dir}/dist/scheduler-input.js?${builds.length}`));
const owner = new (class Room {
  onBenchTask() {}
})();
const shapes = {
  "{ i }": (i) => ({ i }),
  "4 flat fields": (i) => ({ id: `room-${i}`, n: i * 1.5, ok: true, note: null }),
  "nested": (i) => ({ user: { id: i }, tags: ["a", "b"] }),
};
function run(build, shape) {
  let chars = 0;
  for (let i = 0; i < N; i++) {
    chars += build.checkSchedule(owner, { kind: "at", when: i, expression: undefined, method: "onBenchTask", payload: shape(i), opts: undefined }).length;
  }
  return chars;
}
const times = dirs.map(() => Object.fromEntries(Object.keys(shapes).map((name) => [name, []])));
for (let r = 0; r < 12; r++) {
  for (let k = 0; k < builds.length; k++) {
    for (const [name, shape] of Object.entries(shapes)) {
      const t = performance.now();
      run(builds[k], shape);
      if (r >= 2) times[k][name].push(((performance.now() - t) * 1000) / N);
    }
  }
}
for (let k = 0; k < dirs.length; k++) {
  const cells = Object.entries(times[k]).map(([name, xs]) => {
    xs.sort((a, b) => a - b);
    return `${name} ${xs[xs.length >> 1].toFixed(3)} µs`;
  });
  console.log(`${dirs[k]}: median per call: ${cells.join(", ")}`);
}
