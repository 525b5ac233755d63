#!/usr/bin/env bash
# Packs pkg/ (`npm pack`) and installs the tarball into the example folder given, exactly as a
# user's `npm install durable-core` would.   usage: scripts/install-example.sh examples/minimal
set -euo pipefail
source "$(dirname "$0")/lib.sh"
example="$(cd "$1" && pwd)"
cd "$ROOT"

[ -f pkg/package.json ] || bash scripts/build.sh
pack_dir="$ROOT/target/pack"
rm -rf "$pack_dir" && mkdir -p "$pack_dir"
tarball="$pack_dir/$(cd pkg && npm pack --silent --pack-destination "$pack_dir")"
echo "packed $tarball ($(wc -c <"$tarball") bytes)"

cd "$example"
mkdir -p vendor
cp "$tarball" vendor/durable-core.tgz
# A fresh install of the tarball each time: its contents change with every build, and a lock
# file would make npm reinstall the previous build's tarball from its cache.
rm -rf node_modules/durable-core package-lock.json
npm install --no-audit --no-fund --prefer-offline --loglevel=error
