#!/usr/bin/env bash
# Starts a local distributed deployment against the local NATS/Redis/PostgreSQL:
# 2 gateways (GATEWAY_PORTS, default 8081 8082), 2 agent workers (WORKERS), 1 exchange, and 2
# market feeds (one plays the matches, the other stands by to take over).
# Logs and pid files go to .run/. Stop with `make dist-down`.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .run
bash scripts/ensure-services.sh >/dev/null
# Compiled services (dist/), as the container image runs them.
node scripts/build.mjs

export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/epl_local}
export STREAM_PREFIX=${STREAM_PREFIX:-LOCAL_}
export SUBJECT_PREFIX=${SUBJECT_PREFIX:-local.}
export LOG_LEVEL=${LOG_LEVEL:-info}
# Each process's operator listener (/metrics, /healthz, /readyz) on a free port of its own.
export METRICS_PORT=${METRICS_PORT:-0}
gateway_ports=(${GATEWAY_PORTS:-8081 8082})
workers=${WORKERS:-2}

db=${DATABASE_URL##*/}
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE \"$db\""

start() {
  local name=$1; shift
  if [ -f ".run/$name.pid" ] && kill -0 "$(cat ".run/$name.pid")" 2>/dev/null; then
    echo "$name already running (pid $(cat ".run/$name.pid"))"
    return
  fi
  env "$@" node "$SERVICE" >".run/$name.log" 2>&1 &
  echo $! >".run/$name.pid"
  echo "started $name (pid $!)"
}

SERVICE=dist/services/exchange/main.js start exchange-1
for i in $(seq 1 "$workers"); do SERVICE=dist/services/agent-worker/main.js start "worker-$i"; done
for i in 1 2; do SERVICE=dist/services/market-feed/main.js start "feed-$i"; done
n=0
for port in "${gateway_ports[@]}"; do
  n=$((n + 1))
  SERVICE=dist/services/gateway/main.js start "gateway-$n" PORT="$port" GATEWAY_ID="gateway-$n"
done

for port in "${gateway_ports[@]}"; do
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "gateway on :$port is not ready; see .run/*.log" >&2; exit 1; }
  echo "gateway ready on http://127.0.0.1:$port"
done
