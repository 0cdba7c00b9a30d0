#!/usr/bin/env bash
# Starts a local distributed deployment against the local NATS/Redis/PostgreSQL:
# 2 gateways (GATEWAY_PORTS, default 8081 8082), 2 agent workers (WORKERS), 1 exchange, and 2
# market feeds (one plays the matches, the other stands by to take over).
# Each service runs under infra/local/supervise.sh, which restarts it whenever it exits (backoff
# 0.5 s doubling to 30 s, reset after a minute up; one line per restart in its log and in
# .run/supervisor.log). Logs and pid files go to .run/. Stop with `make dist-down`.
# A development deployment on loopback: gateways bind 127.0.0.1, development tokens are on
# (DEV_TOKENS=true unless set), and the JWT secret is a random one kept in .run/jwt-secret, so
# restarts and later dist-ups keep accepting the tokens already issued (JWT_SECRET overrides it).
set -euo pipefail
cd "$(dirname "$0")/../.."
run=.run
mkdir -p "$run"
bash scripts/ensure-services.sh >/dev/null
# Compiled services (dist/), as the container image runs them.
node scripts/build.mjs

export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/epl_local}
export STREAM_PREFIX=${STREAM_PREFIX:-LOCAL_}
export SUBJECT_PREFIX=${SUBJECT_PREFIX:-local.}
export LOG_LEVEL=${LOG_LEVEL:-info}
export HOST=${HOST:-127.0.0.1}
export DEV_TOKENS=${DEV_TOKENS:-true}
if [ -z "${JWT_SECRET:-}" ]; then
  if [ ! -s "$run/jwt-secret" ]; then
    (umask 077 && node -e 'console.log(require("node:crypto").randomBytes(32).toString("base64url"))' >"$run/jwt-secret")
  fi
  JWT_SECRET=$(cat "$run/jwt-secret")
fi
export JWT_SECRET
# Every process serves /metrics on a port of its own: METRICS_PORT_BASE + 1, + 2, … (9465 up, so
# that an embedded `make run` on the default 9464 does not collide).
metrics_port=${METRICS_PORT_BASE:-9464}
gateway_ports=(${GATEWAY_PORTS:-8081 8082})
workers=${WORKERS:-2}

bash infra/local/ensure-database.sh

start() {
  local name=$1 service=$2
  shift 2
  local supervisor_pid=$run/$name.supervisor-pid
  metrics_port=$((metrics_port + 1))
  if [ -f "$supervisor_pid" ] && kill -0 "$(cat "$supervisor_pid")" 2>/dev/null; then
    echo "$name already running (supervisor pid $(cat "$supervisor_pid"))"
    return
  fi
  : >"$run/$name.log"
  # setsid: the supervisor and its service leave the terminal's process group, so a Ctrl-C or
  # a closed terminal after dist-up has returned does not reach them; dist-down stops them.
  setsid bash infra/local/supervise.sh "$name" "$run" -- \
    env METRICS_PORT="$metrics_port" "$@" node "$service" </dev/null >/dev/null 2>&1 &
  echo "started $name (supervised; metrics on :$metrics_port)"
}

start exchange-1 dist/services/exchange/main.js
for i in $(seq 1 "$workers"); do start "worker-$i" dist/services/agent-worker/main.js; done
for i in 1 2; do start "feed-$i" dist/services/market-feed/main.js; done
n=0
for port in "${gateway_ports[@]}"; do
  n=$((n + 1))
  start "gateway-$n" dist/services/gateway/main.js PORT="$port" GATEWAY_ID="gateway-$n"
done

for port in "${gateway_ports[@]}"; do
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "gateway on :$port is not ready; see $run/*.log" >&2; exit 1; }
  echo "gateway ready on http://127.0.0.1:$port"
done
