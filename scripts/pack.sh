#!/usr/bin/env bash
# Packs pkg/ with `npm pack` and prints the tarball's path. The file name carries a hash of its
# contents: npx and npm cache a `file:` tarball by its path, and a new build under an old name
# would run the old package.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -f pkg/package.json ] || bash scripts/build.sh >&2
pack_dir="$ROOT/target/pack"
rm -rf "$pack_dir" && mkdir -p "$pack_dir"
packed="$pack_dir/$(cd pkg && npm pack --silent --pack-destination "$pack_dir")"
hash="$(sha256sum "$packed" | cut -c1-12)"
tarball="${packed%.tgz}-$hash.tgz"
mv "$packed" "$tarball"
echo "$tarball"
