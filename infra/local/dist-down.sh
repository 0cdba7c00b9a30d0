#!/usr/bin/env bash
# Stops the local distributed deployment started by dist-up.sh: SIGTERM (drain), then SIGKILL
# after 10 s for anything still running.
set -uo pipefail
cd "$(dirname "$0")/../.."
shopt -s nullglob
pids=()
for f in .run/*.pid; do
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  rm -f "$f"
done
for _ in $(seq 1 100); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ $alive -eq 0 ] && break
  sleep 0.1
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null && echo "killed $pid after drain timeout"; done
echo "stopped ${#pids[@]} processes"
