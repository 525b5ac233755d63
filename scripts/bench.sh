#!/usr/bin/env bash
# Runs the benchmarks inside workerd and writes BENCHMARKS.md and bench/results.json.
#   scripts/bench.sh                 full run (13–25 min, by machine; keep the machine otherwise idle)
#   scripts/bench.sh --smoke         tiny sizes, same code paths, no timing checks (npm test runs it)
#   scripts/bench.sh --only S3 --rounds 3    one scenario; writes bench/.out/ only
# The durable-core rows need pkg/ (npm run build); without it they say "not yet".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# wrangler and workerd need Node 22, which the `node` devDependency puts in node_modules/.bin.
exec "$ROOT/node_modules/.bin/node" "$ROOT/bench/run.mjs" "$@"
