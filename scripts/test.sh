#!/usr/bin/env bash
# `npm test`: every check, in the order a failure is cheapest to find.
#   clippy (native and wasm, warnings denied; core and checker) -> cargo test (core, checker)
#   -> build (published + test builds) -> the checker's CLI
#   -> type-check and run the workerd suites -> bench smoke -> examples from the packed tarball
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

passed=0
stage() {
  step "$1"
  shift
  "$@"
  passed=$((passed + 1))
}
trap 'echo; echo "npm test: $passed passed, 1 failed"' ERR

stage "clippy (native, all targets)" cargo clippy --all-targets --quiet -- -D warnings
stage "clippy (wasm bindings)" cargo clippy --lib --target wasm32-unknown-unknown --features trap --quiet -- -D warnings
stage "clippy (checker, native)" cargo clippy -p durable-core-check --all-targets --quiet -- -D warnings
stage "clippy (checker, wasm)" cargo clippy -p durable-core-check --lib --target wasm32-unknown-unknown --quiet -- -D warnings
stage "cargo test" cargo test --quiet
stage "cargo test (checker: rule fixtures)" cargo test -p durable-core-check --quiet
stage "build: published package (pkg/)" bash scripts/build.sh
stage "build: test package (target/pkg-test/)" bash scripts/build.sh --test
stage "durable-core check (the CLI, from Node)" node --test check/tests/cli.test.mjs
stage "type-check the workerd suites" tsc -p ts-tests/tsconfig.json
stage "workerd suites (ts-tests/)" vitest run
stage "bench smoke (tiny sizes, same code paths)" bash scripts/bench.sh --smoke
stage "examples (packed tarball)" bash scripts/test-examples.sh

trap - ERR
echo
echo "npm test: $passed passed, 0 failed"
