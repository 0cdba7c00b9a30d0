# Everyday commands. `make run` and `make test` are the README quick start.
SHELL := /bin/bash
.PHONY: install run test test-node24 typecheck lint dist-up dist-down bench-agents

install:
	npm ci --no-audit --no-fund

# Installs and runs the whole platform in one process (embedded mode) on http://127.0.0.1:8080.
run: install
	npm start

# Installs and runs the full test suite (needs NATS, Redis, PostgreSQL: see README).
test: install
	npm test

# The same with Node.js 24 (LTS) first on PATH, installed from the npm registry into
# ~/.cache/epl-node/24 on first use (scripts/with-node.sh). `npm ci` reinstalls node_modules.
test-node24:
	bash scripts/with-node.sh 24 $(MAKE) test

typecheck:
	npm run typecheck

lint:
	npm run lint

# A local distributed deployment: 2 gateways (:8081, :8082), 2 agent workers, 1 exchange, 2 market
# feeds on local NATS, each restarted when it exits (infra/local/supervise.sh).
dist-up:
	bash infra/local/dist-up.sh

dist-down:
	bash infra/local/dist-down.sh
