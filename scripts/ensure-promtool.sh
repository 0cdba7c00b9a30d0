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

# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install_quietly ensure-promtool prometheus
promtool --version | head -1
