#!/usr/bin/env bash
# Each example installs the packed tarball of pkg/, runs its own Vitest suite and bundles with
# `wrangler deploy --dry-run`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

for example in examples/*/; do
  step "example: $example"
  bash scripts/install-example.sh "$example"
  (
    cd "$example"
    # npm runs on Node 20; the example's own node_modules/.bin holds Node 22 for wrangler.
    PATH="$PWD/node_modules/.bin:$PATH"
    vitest run
    wrangler deploy --dry-run --outdir dist
    # A browser test (headless Chromium, see scripts/install-chromium.sh) where an example has one.
    if grep -q '"test:browser"' package.json; then npm run test:browser; fi
  )
done
