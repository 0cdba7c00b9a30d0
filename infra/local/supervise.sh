#!/usr/bin/env bash
# Crash-only for the local deployment: runs one service and starts it again whenever it exits,
# whatever the exit code, as Kubernetes or compose's `restart: unless-stopped` would.
#
#   supervise.sh NAME RUN_DIR -- COMMAND [ARG…]
#
# Files in RUN_DIR (dist-down.sh reads them):
# - NAME.supervisor-pid: this supervisor's pid; NAME.pid: the pid of the running service.
# - NAME.log: the service's output, appended, so the lines before a crash stay beside the restart.
# - Each exit logs one line to NAME.log and to supervisor.log:
#   `<time> supervise: NAME exited (code 1|signal KILL) after 2.3s; restart 4 in 4s`.
# - Backoff between restarts: SUPERVISE_MIN_DELAY_MS (500), doubling up to SUPERVISE_MAX_DELAY_MS
#   (30000); a run that lasted SUPERVISE_RESET_AFTER_MS (60000) or more starts again at the minimum.
# - SIGTERM, SIGINT or SIGHUP stop the supervisor only: it exits at once (even mid-backoff) and
#   leaves a running service running, so that dist-down.sh can stop every supervisor first and only
#   then drain the services, without a supervisor restarting what it stops.
set -uo pipefail

if [ $# -lt 4 ] || [ "$3" != "--" ]; then
  echo "usage: $0 NAME RUN_DIR -- COMMAND [ARG…]" >&2
  exit 2
fi
name=$1 run=$2
shift 3
pid_file=$run/$name.pid log=$run/$name.log
echo $$ >"$run/$name.supervisor-pid"

min_ms=${SUPERVISE_MIN_DELAY_MS:-500}
max_ms=${SUPERVISE_MAX_DELAY_MS:-30000}
reset_ms=${SUPERVISE_RESET_AFTER_MS:-60000}

stopping=0
trap 'stopping=1' TERM INT HUP

now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  echo $((t / 1000))
}
seconds() { # 2300 -> 2.3s, 500 -> 0.5s, 4000 -> 4s
  local s=$(($1 / 1000)) frac
  frac=$(printf '%03d' $(($1 % 1000)))
  frac=${frac%%0}
  frac=${frac%%0}
  frac=${frac%%0}
  echo "$s${frac:+.$frac}s"
}
note() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) supervise: $name $*"
  echo "$line" >>"$log"
  echo "$line" >>"$run/supervisor.log"
}

delay=$min_ms
restarts=0
while [ "$stopping" -eq 0 ]; do
  started=$(now_ms)
  "$@" >>"$log" 2>&1 &
  child=$!
  echo "$child" >"$pid_file"
  # A trapped signal ends `wait` early: the supervisor goes, the service stays for dist-down.
  # (One that came before `wait` began would not end it: hence the check first.)
  [ "$stopping" -eq 1 ] && break
  wait "$child"
  status=$?
  [ "$stopping" -eq 1 ] && break
  uptime=$(($(now_ms) - started))
  if [ "$uptime" -ge "$reset_ms" ]; then delay=$min_ms; fi
  if [ "$status" -gt 128 ]; then
    how="signal $(kill -l $((status - 128)) 2>/dev/null || echo $((status - 128)))"
  else
    how="code $status"
  fi
  restarts=$((restarts + 1))
  note "exited ($how) after $(seconds "$uptime"); restart $restarts in $(seconds "$delay")"
  # sleep in the background so that a signal ends the wait at once.
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))" &
  [ "$stopping" -eq 1 ] || wait $!
  if [ "$stopping" -eq 1 ]; then
    kill $! 2>/dev/null
    break
  fi
  delay=$((delay * 2 > max_ms ? max_ms : delay * 2))
done
exit 0
