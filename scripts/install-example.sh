#!/usr/bin/env bash
# Installs the packed package into the example folder given, exactly as a user's
# `npm install durable-core` would.   usage: scripts/install-example.sh examples/<name> [tarball]
# Without a tarball, packs pkg/ first (scripts/pack.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
example="$(cd "$1" && pwd)"
cd "$ROOT"
tarball="${2:-$(bash scripts/pack.sh)}"

cd "$example"
mkdir -p vendor
cp "$tarball" vendor/durable-core.tgz
# A fresh install of the tarball each time: its contents change with every build, and a lock
# file would make npm reinstall the previous build's tarball from its cache.
rm -rf node_modules/durable-core package-lock.json
npm install --no-audit --no-fund --prefer-offline --loglevel=error
