#!/usr/bin/env bash
# Installs Debian's chromium for the chat demo's browser test (scripts/chat-browser.mjs) when
# /usr/bin/chromium is missing. Playwright's own browser download is not used: the test drives
# the system browser with playwright-core.
#   as root: apt-get update + apt-get install chromium;
#   otherwise with password-less sudo: the same through `sudo -n`;
#   otherwise: a warning saying what to run, and exit 0 (npm install goes on; the browser test
#   then fails with the same instructions, so nothing is skipped silently).
# CHROMIUM=<path> names another Chromium binary for the browser test instead.
set -euo pipefail

if [ -n "${CHROMIUM:-}" ] || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "warning: no /usr/bin/chromium and no apt-get: install Chromium and set CHROMIUM=<its path> for the browser test" >&2
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "warning: /usr/bin/chromium is missing and this is not root: run \`sudo apt-get install chromium\` for the browser test" >&2
    exit 0
  fi
fi
echo "installing chromium (Debian package) for the browser test"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version 2>/dev/null || true
