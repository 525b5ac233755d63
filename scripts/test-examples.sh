#!/usr/bin/env bash
# The package as a user meets it, from the packed tarball of pkg/:
#   1. every template of `durable-core init`, generated with `npx durable-core init` from the
#      tarball, installed, type-checked (`wrangler types` + tsc), tested (Vitest in workerd) and
#      bundled (`wrangler deploy --dry-run`); the chat project also in headless Chromium;
#   2. examples/*: projects kept by hand for what no template shows (the older
#      @cloudflare/vitest-pool-workers runner).
# Prints the time each one took.   usage: scripts/test-examples.sh [template or example name...]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# Until `durable-core check` is in the package, each generated project's steps run one by one.
# With 1, its own `npm test` runs whole instead (durable-core check, type-check, Vitest).
RUN_GENERATED_NPM_TEST="${DC_GENERATED_NPM_TEST:-1}"

only=("$@")
wanted() { [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $1 "* ]]; }

[ -f pkg/package.json ] || bash scripts/build.sh
tarball="$(bash scripts/pack.sh)"
echo "packed $tarball ($(wc -c <"$tarball") bytes)"

timings=()
timed() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  timings+=("$(printf '%-12s %4d s' "$name" $((SECONDS - start)))")
}

test_template() {
  local template="$1" dir
  dir="$(generated_dir "$template")"
  step "template: $template (in $dir)"
  generate "$tarball" "$template" "$dir"
  (
    cd "$dir"
    npm install --no-audit --no-fund --prefer-offline --loglevel=error
    # npm scripts put node_modules/.bin first on PATH, so wrangler and Vitest run on the
    # project's Node 22 (the `node` devDependency on Node 20); do the same here.
    PATH="$PWD/node_modules/.bin:$PATH"
    if [ "$RUN_GENERATED_NPM_TEST" = 1 ]; then
      npm test
    else
      npm run typecheck
      vitest run
    fi
    wrangler deploy --dry-run --outdir dist
  )
  if [ "$template" = chat ]; then
    step "template: chat in headless Chromium"
    node scripts/chat-browser.mjs "$dir"
  fi
}

test_example() {
  local example="$1"
  step "example: $example"
  bash scripts/install-example.sh "$example" "$tarball"
  (
    cd "$example"
    PATH="$PWD/node_modules/.bin:$PATH"
    npm run typecheck
    vitest run
    wrangler deploy --dry-run --outdir dist
  )
}

for template in $(node pkg/cli/durable-core.mjs init --list | awk '{print $1}'); do
  if wanted "$template"; then timed "$template" test_template "$template"; fi
done
for example in examples/*/; do
  name="$(basename "$example")"
  if wanted "$name"; then timed "$name" test_example "$example"; fi
done

step "time per project (generate or install, type-check, test, bundle)"
printf '%s\n' "${timings[@]}"
