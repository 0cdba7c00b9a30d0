#!/usr/bin/env bash
# Starts the local services the integration tests need (NATS with JetStream, Redis, PostgreSQL)
# when they are not already listening. Uses the Debian packages' binaries; on another machine,
# see README "Services for the tests".
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2
  for _ in $(seq 1 100); do
    listening "$port" && return 0
    sleep 0.1
  done
  echo "ensure-services: $name did not come up on port $port" >&2
  return 1
}

if ! listening 4222; then
  echo "ensure-services: starting nats-server (JetStream) on 4222"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for nats 4222
fi

if ! listening 6379; then
  echo "ensure-services: starting redis-server on 6379"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for redis 6379
fi

if ! listening 5432; then
  echo "ensure-services: starting PostgreSQL on 5432"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  wait_for postgresql 5432
fi

echo "ensure-services: NATS 4222, Redis 6379, PostgreSQL 5432 are up"
