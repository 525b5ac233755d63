#!/usr/bin/env bash
# Installs what the build and the tests need beyond npm packages: the wasm32 target, the pinned
# wasm-bindgen CLI and Debian's Chromium for the browser test. Runs as `npm install`'s
# postinstall; safe to run again (each step checks first).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if ! command -v cargo >/dev/null || ! command -v rustup >/dev/null; then
  echo "durable-core needs Rust (rustup and cargo): see https://rustup.rs" >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

installed="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$installed" != "$WASM_BINDGEN_VERSION" ]; then
  step "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (first run: about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

bash "$ROOT/scripts/install-chromium.sh"

echo "setup: wasm32 target and wasm-bindgen $WASM_BINDGEN_VERSION ready"
