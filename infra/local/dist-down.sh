#!/usr/bin/env bash
# Stops the local distributed deployment started by dist-up.sh, in this order:
# 1. its supervisors (infra/local/supervise.sh), so none restarts a service this script stops;
# 2. the services: SIGTERM (drain), then SIGKILL for any still running after DRAIN_S (10) seconds.
# RUN_DIR (default .run) is where dist-up.sh left the pid files.
set -uo pipefail
cd "$(dirname "$0")/../.."
run=${RUN_DIR:-.run}
drain_s=${DRAIN_S:-10}
shopt -s nullglob

alive() { kill -0 "$1" 2>/dev/null; }

# Waits until none of the pids is alive, for at most $1 seconds; the rest are printed.
wait_gone() {
  local deadline=$((SECONDS + $1)) pid left
  shift
  while :; do
    left=()
    for pid in "$@"; do alive "$pid" && left+=("$pid"); done
    if [ ${#left[@]} -eq 0 ] || [ $SECONDS -ge $deadline ]; then break; fi
    sleep 0.1
  done
  echo "${left[@]}"
}

supervisors=()
for f in "$run"/*.supervisor-pid; do
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null && supervisors+=("$pid")
  rm -f "$f"
done
# A supervisor exits at once on SIGTERM, even mid-backoff; one that does not is killed.
for pid in $(wait_gone 5 "${supervisors[@]}"); do kill -KILL "$pid" 2>/dev/null; done

# Read after the supervisors are gone: a restart just before has written its new pid.
# The deployment's own NATS nodes (NATS_NODES) last: draining services still hand runs back.
services=()
for f in "$run"/*.pid; do
  case $(basename "$f") in nats-*) continue ;; esac
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null && services+=("$pid")
  rm -f "$f"
done
for pid in $(wait_gone "$drain_s" "${services[@]}"); do
  kill -KILL "$pid" 2>/dev/null && echo "killed $pid after the ${drain_s}s drain timeout"
done
nodes=()
for f in "$run"/nats-*.pid; do
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null && nodes+=("$pid")
  rm -f "$f"
done
for pid in $(wait_gone "$drain_s" "${nodes[@]}"); do kill -KILL "$pid" 2>/dev/null; done
summary="stopped ${#supervisors[@]} supervisors and ${#services[@]} services"
[ ${#nodes[@]} -eq 0 ] || summary+=" and ${#nodes[@]} NATS nodes"
echo "$summary"
