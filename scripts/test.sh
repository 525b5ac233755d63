#!/usr/bin/env bash
# `npm test`: every check, in the order a failure is cheapest to find.
#   rustfmt -> clippy (native and wasm, warnings denied; core and checker) -> cargo test (core, checker)
#   -> build (published + test builds) -> the published types under a strict user tsconfig
#   -> init's CLI -> the packaged README -> the checker's CLI
#   -> type-check and run the workerd suites -> bench smoke
#   -> every init template and example from the packed tarball (scripts/test-examples.sh)
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

stage "rustfmt (core and checker, default style)" cargo fmt --all --check
stage "clippy (native, all targets)" cargo clippy --all-targets --quiet -- -D warnings
stage "clippy (wasm bindings)" cargo clippy --lib --target wasm32-unknown-unknown --features trap --quiet -- -D warnings
stage "clippy (checker, native)" cargo clippy -p durable-core-check --all-targets --quiet -- -D warnings
stage "clippy (checker, wasm)" cargo clippy -p durable-core-check --lib --target wasm32-unknown-unknown --quiet -- -D warnings
stage "cargo test" cargo test --quiet
stage "cargo test (checker: rule fixtures)" cargo test -p durable-core-check --quiet
stage "build: published package (pkg/)" bash scripts/build.sh
stage "build: test package (target/pkg-test/)" bash scripts/build.sh --test
stage "published types: RPC results, strict lib, no @internal (ts-types/)" tsc -p ts-types
stage "published types: no any in a public declaration (ts-types/no-any.test.mjs)" node --test ts-types/no-any.test.mjs
stage "durable-core init: options and refusals" node --test scripts/init-cli.test.mjs
stage "packaged README: links resolve inside the package" node scripts/check-package-readme.mjs pkg
stage "durable-core check (the CLI, from Node)" node --test check/tests/cli.test.mjs
stage "type-check the workerd suites" tsc -p ts-tests/tsconfig.json
stage "workerd suites (ts-tests/)" vitest run
stage "bench smoke (tiny sizes, same code paths)" bash scripts/bench.sh --smoke
stage "init templates and examples (packed tarball)" bash scripts/test-examples.sh

trap - ERR
echo
echo "npm test: $passed passed, 0 failed"
