#!/usr/bin/env bash
# Starts a local distributed deployment against the local NATS/Redis/PostgreSQL: 2 gateways
# (GATEWAY_PORTS, default 8081 8082), WORKERS agent workers (2), 1 exchange and 2 market feeds
# (one plays the matches, the other stands by to take over); see dist-env.sh for the environment.
# NATS_NODES=3 gives it a 3-node JetStream cluster of its own on spare ports (NATS_REPLICAS=3).
# Each service runs under infra/local/supervise.sh, which starts it again whenever it exits
# (backoff 0.5 s doubling to 30 s, reset after a minute up; one line per restart in its log and in
# supervisor.log). Logs and pid files go to RUN_DIR (default .run). Stop with `make dist-down`.
set -euo pipefail
cd "$(dirname "$0")/../.."
run=${RUN_DIR:-.run}
mkdir -p "$run"
bash scripts/ensure-services.sh >/dev/null
# Compiled services (dist/), as the container image runs them.
node scripts/build.mjs
source infra/local/dist-env.sh
bash infra/local/ensure-database.sh

# Whether URL answers 2xx within 30 s (150 tries, 0.2 s apart).
answers_within_30s() {
  for _ in $(seq 1 150); do
    curl -fs "$1" >/dev/null && return 0
    sleep 0.2
  done
  return 1
}

start() {
  local name=$1 service=$2
  shift 2
  local supervisor_pid=$run/$name.supervisor-pid
  if [ -f "$supervisor_pid" ] && kill -0 "$(cat "$supervisor_pid")" 2>/dev/null; then
    echo "$name already running (supervisor pid $(cat "$supervisor_pid"))"
    return
  fi
  : >"$run/$name.log"
  # setsid: the supervisor and its service leave the terminal's process group, so a Ctrl-C or
  # a closed terminal after dist-up has returned does not reach them; dist-down stops them.
  setsid bash infra/local/supervise.sh "$name" "$run" -- env "$@" node "$service" \
    </dev/null >/dev/null 2>&1 &
  echo "started $name, supervised ($*)"
}

# NATS_NODES=3 (dist-env.sh): the deployment's own JetStream cluster first, supervised like the
# services, and waited for: streams in 3 copies can only be made once its nodes have a leader.
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
while read -r name monitor args; do
  supervisor_pid=$run/$name.supervisor-pid
  if [ -f "$supervisor_pid" ] && kill -0 "$(cat "$supervisor_pid")" 2>/dev/null; then
    echo "$name already running (supervisor pid $(cat "$supervisor_pid"))"
    continue
  fi
  : >"$run/$name.log"
  # shellcheck disable=SC2086 # the node's arguments, split on purpose
  setsid bash infra/local/supervise.sh "$name" "$run" -- "$nats_server" $args </dev/null >/dev/null 2>&1 &
  echo "started $name, supervised (monitoring on :$monitor)"
done < <(nats_nodes)
while read -r name monitor _; do
  answers_within_30s "http://127.0.0.1:$monitor/healthz" || { echo "$name is not healthy; see $run/$name.log" >&2; exit 1; }
  echo "$name healthy"
done < <(nats_nodes)

while read -r -a process; do start "${process[@]}"; done < <(dist_processes)

for port in ${GATEWAY_PORTS:-8081 8082}; do
  answers_within_30s "http://127.0.0.1:$port/readyz" || { echo "gateway on :$port is not ready; see $run/*.log" >&2; exit 1; }
  echo "gateway ready on http://127.0.0.1:$port"
done
