#!/usr/bin/env bash
# `npm run dev`: builds durable-core, generates the chat demo from the packed tarball with
# `durable-core init --template chat` (outside the repository, see scripts/lib.sh), and serves
# it with `wrangler dev` (local SQLite persistence in the project's .wrangler/).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

bash scripts/build.sh
tarball="$(bash scripts/pack.sh)"
demo="$(generated_dir chat)"
generate "$tarball" chat "$demo"
cd "$demo"
npm install --no-audit --no-fund --prefer-offline --loglevel=error
PATH="$PWD/node_modules/.bin:$PATH"
port="${PORT:-8787}"
echo "durable-core demo: http://localhost:$port/ (project in $demo)"
exec wrangler dev --ip 127.0.0.1 --port "$port"
