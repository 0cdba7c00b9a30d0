#!/usr/bin/env bash
# Installs Debian's prometheus package for its `promtool`, which test/infra checks the alert and
# recording rules and the scrape configuration with (`promtool check`, `promtool test rules`),
# when it is not already there. Needs root on a fresh Debian machine; quiet unless it fails.
# The package's own Prometheus server is not started: policy-rc.d or the absence of systemd
# leave it stopped in CI containers, and the tests never need it.
set -euo pipefail

if command -v promtool >/dev/null; then
  exit 0
fi

echo "ensure-promtool: installing prometheus (for promtool)"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "ensure-promtool: installing prometheus failed" >&2
  exit 1
fi
rm -f "$log"
promtool --version | head -1
