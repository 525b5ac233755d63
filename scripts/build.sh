#!/usr/bin/env bash
# Builds the npm package: Rust -> wasm (release) -> wasm-bindgen -> TS facade -> pkg/.
#   scripts/build.sh          the published package, in pkg/
#   scripts/build.sh --test   the test build (cargo feature `trap`), in target/pkg-test/
# DC_PKG=<dir> puts the output elsewhere (the test suites and the bench read the same variable).
# Prints the wasm size raw and gzipped and fails above the budget.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

GZIP_BUDGET_BYTES=$((400 * 1024))
features=()
out="${DC_PKG:-$ROOT/pkg}"
if [ "${1:-}" = "--test" ]; then
  features=(--features trap)
  out="${DC_PKG:-$ROOT/target/pkg-test}"
fi

step "Compiling the core to wasm (release${features:+, ${features[*]}})"
cargo build --lib --release --target wasm32-unknown-unknown "${features[@]}"

# Inside the repository, so that tsc finds node_modules; one per output dir.
staging="$ROOT/target/staging/$(echo "$out" | tr "/" "_")"
rm -rf "$staging" "$out"
mkdir -p "$staging/src/wasm" "$out/dist/wasm"

step "Generating the JS bindings (wasm-bindgen $WASM_BINDGEN_VERSION)"
wasm-bindgen --target web --experimental-reset-state-function \
  --out-dir "$staging/src/wasm" --out-name durable_core \
  "$TARGET_DIR/wasm32-unknown-unknown/release/durable_core.wasm"

step "Compiling the TypeScript facade"
cp -R pkg-template/src/. "$staging/src/"
cp pkg-template/tsconfig.json "$staging/tsconfig.json"
tsc -p "$staging/tsconfig.json" --outDir "$out/dist"
cp "$staging"/src/wasm/durable_core.js "$staging"/src/wasm/durable_core.d.ts \
  "$staging"/src/wasm/durable_core_bg.wasm "$out/dist/wasm/"
step "Compiling the checker to wasm (profile checker)"
cargo build -p durable-core-check --lib --target wasm32-unknown-unknown --profile checker
mkdir -p "$out/cli/wasm"
cp -R pkg-template/cli/. "$out/cli/"
wasm-bindgen --target web --out-dir "$out/cli/wasm" --out-name durable_core_check \
  "$TARGET_DIR/wasm32-unknown-unknown/checker/durable_core_check.wasm"
rm -f "$out/cli/wasm/durable_core_check.d.ts" "$out/cli/wasm/durable_core_check_bg.wasm.d.ts"
if [ -d pkg-template/templates ]; then cp -R pkg-template/templates "$out/templates"; fi
mkdir -p "$out/docs" && cp -R docs/rules "$out/docs/rules"
cp pkg-template/package.json "$out/package.json"
cp README.md "$out/README.md"

wasm="$out/dist/wasm/durable_core_bg.wasm"
raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
printf '\nwasm size: %s bytes raw, %s bytes gzipped (budget %s gzipped)\n' "$raw" "$gz" "$GZIP_BUDGET_BYTES"
if [ "$gz" -gt "$GZIP_BUDGET_BYTES" ]; then
  echo "error: the wasm is over its size budget" >&2
  exit 1
fi
check_wasm="$out/cli/wasm/durable_core_check_bg.wasm"
printf 'checker wasm (cli only, never in a Worker bundle): %s bytes raw, %s bytes gzipped\n' \
  "$(wc -c <"$check_wasm")" "$(gzip -9 -c "$check_wasm" | wc -c)"
rm -rf "$staging"
echo "built $out"
