#!/usr/bin/env bash
# Runs a command with another major version of Node.js first on PATH, e.g.
#   bash scripts/with-node.sh 24 make test
# The binary comes from the npm registry's `node-linux-<arch>` package (the one the `node` package
# installs through its preinstall script; taken directly, so no install script has to run) and is
# kept in a cache outside the repository: $NODE_CACHE_DIR, default ~/.cache/epl-node/<major>.
# A cached binary of that major is used as it is; the registry is asked only when there is none.
# npm itself is this machine's npm, run by the chosen node (its shebang is `env node`).
set -euo pipefail

if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 MAJOR COMMAND [ARG…]   e.g. $0 24 make test" >&2
  exit 2
fi
major=$1
shift

case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "with-node: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
package=node-linux-$arch
dir=${NODE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/epl-node/$major}
bin=$dir/node_modules/$package/bin

installed() { [ -x "$bin/node" ] && [[ $("$bin/node" --version 2>/dev/null) == v"$major".* ]]; }

if ! installed; then
  echo "with-node: installing Node.js $major ($package@$major) into $dir" >&2
  mkdir -p "$dir"
  # --prefix: a folder of its own with its own package.json, never the project's node_modules.
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "$package@$major" >&2
  installed || { echo "with-node: $bin/node is not Node.js $major" >&2; exit 1; }
fi

export PATH="$bin:$PATH"
echo "with-node: $(command -v node) $(node --version)" >&2
exec "$@"
