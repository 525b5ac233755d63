#!/usr/bin/env bash
# `npm run dev`: builds durable-core, installs it into the demo Worker from the packed tarball,
# and serves the demo locally with `wrangler dev` (local SQLite persistence in .wrangler/).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

demo="examples/rooms"
[ -d "$demo" ] || demo="examples/minimal"
bash scripts/build.sh
bash scripts/install-example.sh "$demo"
cd "$demo"
PATH="$PWD/node_modules/.bin:$PATH"
port="${PORT:-8787}"
echo "durable-core demo: http://localhost:$port/"
exec wrangler dev --ip 127.0.0.1 --port "$port"
