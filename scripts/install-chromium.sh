#!/usr/bin/env bash
# Installs Debian's chromium for the rooms demo's browser test (examples/rooms/test/browser.mjs)
# when /usr/bin/chromium is missing. Playwright's own browser download cannot work here: the
# test drives the system browser with playwright-core.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: /usr/bin/chromium is missing; install Debian's chromium (apt-get install chromium) as root" >&2
  exit 1
fi
echo "installing chromium (Debian package) for the browser test"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version 2>/dev/null
