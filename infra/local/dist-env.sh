# Sourced by dist-up.sh (bash): what the local distributed deployment runs, as data.
# - Exports the environment every process shares. A development deployment on loopback: HOST
#   127.0.0.1, development tokens on (DEV_TOKENS=true unless set), and a JWT secret of its own,
#   random, kept in $run/jwt-secret (mode 600) so restarts and later dist-ups keep accepting the
#   tokens already issued; JWT_SECRET in the environment overrides it.
# - dist_processes prints one line per process: NAME MODULE [VAR=value…], each with a
#   METRICS_PORT of its own (METRICS_PORT_BASE + 1, + 2, …: 9465 up, so an embedded `make run`
#   on the default 9464 does not collide).
# Needs $run (the run directory) set and existing.

# NATS_NODES=3: a JetStream cluster of the deployment's own (nats_nodes below) instead of the
# machine's NATS, every stream and KV bucket in 3 copies, as in Kubernetes (infra/nats).
if [ "${NATS_NODES:-0}" -gt 0 ]; then
  NATS_URL=$(for i in $(seq 1 "$NATS_NODES"); do printf 'nats://127.0.0.1:%s\n' $((${NATS_PORT_BASE:-4230} + i)); done | paste -sd,)
  export NATS_REPLICAS=${NATS_REPLICAS:-$NATS_NODES}
fi
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/epl_local}
export STREAM_PREFIX=${STREAM_PREFIX:-LOCAL_}
export SUBJECT_PREFIX=${SUBJECT_PREFIX:-local.}
export LOG_LEVEL=${LOG_LEVEL:-info}
export HOST=${HOST:-127.0.0.1}
export DEV_TOKENS=${DEV_TOKENS:-true}
# A stopping worker hands its unfinished runs to the others well inside dist-down's DRAIN_S (10 s).
export WORKER_DRAIN_MS=${WORKER_DRAIN_MS:-5000}
if [ -z "${JWT_SECRET:-}" ]; then
  if [ ! -s "$run/jwt-secret" ]; then
    (umask 077 && node -e 'console.log(require("node:crypto").randomBytes(32).toString("base64url"))' >"$run/jwt-secret")
  fi
  JWT_SECRET=$(cat "$run/jwt-secret")
fi
export JWT_SECRET

# 2 gateways (GATEWAY_PORTS, default 8081 8082), WORKERS agent workers (2), 1 exchange and 2 market
# feeds (one plays the matches, the other stands by to take over).
dist_processes() {
  local metrics=${METRICS_PORT_BASE:-9464} i n=0 port
  metrics=$((metrics + 1))
  echo "exchange-1 dist/services/exchange/main.js METRICS_PORT=$metrics"
  for i in $(seq 1 "${WORKERS:-2}"); do
    metrics=$((metrics + 1))
    echo "worker-$i dist/services/agent-worker/main.js METRICS_PORT=$metrics"
  done
  for i in 1 2; do
    metrics=$((metrics + 1))
    echo "feed-$i dist/services/market-feed/main.js METRICS_PORT=$metrics"
  done
  for port in ${GATEWAY_PORTS:-8081 8082}; do
    n=$((n + 1)) metrics=$((metrics + 1))
    echo "gateway-$n dist/services/gateway/main.js METRICS_PORT=$metrics PORT=$port GATEWAY_ID=gateway-$n"
  done
}

# NATS_NODES nats-servers (none unless set), one line each: NAME MONITOR_PORT ARG…, the args of
# nats-server. Client ports NATS_PORT_BASE + 1, + 2, … (4231 up), cluster routes on
# NATS_ROUTE_PORT_BASE + i (6231 up), monitoring (/healthz) on NATS_MONITOR_PORT_BASE + i (8231
# up); each node stores its JetStream in $run/nats-<i>.
nats_nodes() {
  local i routes
  [ "${NATS_NODES:-0}" -gt 0 ] || return 0
  routes=$(for i in $(seq 1 "$NATS_NODES"); do printf 'nats://127.0.0.1:%s\n' $((${NATS_ROUTE_PORT_BASE:-6230} + i)); done | paste -sd,)
  for i in $(seq 1 "$NATS_NODES"); do
    echo "nats-$i $((${NATS_MONITOR_PORT_BASE:-8230} + i)) -a 127.0.0.1 -p $((${NATS_PORT_BASE:-4230} + i))" \
      "-m $((${NATS_MONITOR_PORT_BASE:-8230} + i)) -js -sd $run/nats-$i --server_name local-$i" \
      "--cluster_name local --cluster nats://127.0.0.1:$((${NATS_ROUTE_PORT_BASE:-6230} + i)) --routes $routes"
  done
}
