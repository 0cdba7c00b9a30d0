#!/usr/bin/env bash
# Installs Debian's Chromium, which the browser tests (test/browser) drive through playwright-core,
# when it is not already there. Needs root on a fresh Debian machine; quiet unless it fails.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

echo "ensure-browser: installing chromium"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "ensure-browser: installing chromium failed" >&2
  exit 1
fi
rm -f "$log"
/usr/bin/chromium --version
