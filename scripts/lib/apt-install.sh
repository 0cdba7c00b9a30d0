# Sourced by the scripts/ensure-*.sh: installs Debian packages quietly, printing apt's output only
# when it fails. Needs root on a fresh Debian machine.

# apt_install_quietly TAG PACKAGE… — TAG prefixes the messages (the calling script's name).
apt_install_quietly() {
  local tag=$1
  shift
  echo "$tag: installing $*"
  export DEBIAN_FRONTEND=noninteractive
  local log
  log=$(mktemp)
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "$tag: installing $* failed" >&2
    return 1
  fi
  rm -f "$log"
}
