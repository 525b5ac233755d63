# Shared helpers for the scripts: paths, the pinned tool versions, progress output.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The wasm-bindgen CLI must match the crate exactly (Cargo.toml pins `wasm-bindgen = "=X"`).
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = .*"=\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml")"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false
# Cargo's target dir (CARGO_TARGET_DIR lets parallel work build without sharing artifacts).
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# Where the generated template projects live: outside the repository, so that nothing resolves
# from the repository's own node_modules; one directory per worktree.
generated_dir() {
  printf '%s/durable-core-templates/%s/%s' "${TMPDIR:-/tmp}" "$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)" "$1"
}

# generate <tarball> <template> <dir>: `npx durable-core init` from the tarball, as a user runs
# it, depending on that tarball. Keeps <dir>/node_modules (npm's cache makes a reinstall cheap,
# a kept tree makes it cheaper) and .wrangler/ (`npm run dev`'s local data); the rest is written afresh.
generate() {
  local tarball="$1" template="$2" dir="$3"
  mkdir -p "$dir"
  find "$dir" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .wrangler -exec rm -rf {} +
  npx --yes --package "$tarball" durable-core init "$dir" --template "$template" --package "$tarball" --force
}
