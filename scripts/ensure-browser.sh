#!/usr/bin/env bash
# Installs Debian's Chromium, which the browser tests (test/browser) drive through playwright-core,
# when it is not already there. Needs root on a fresh Debian machine; quiet unless it fails.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install_quietly ensure-browser chromium
/usr/bin/chromium --version
