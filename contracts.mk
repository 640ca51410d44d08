# Solidity toolchain targets (included by the top-level Makefile; also runnable alone with
# `make -f contracts.mk <target>`). Everything installs itself on a fresh machine from
# package registries only: Node packages from the committed lock, Brownie in its own venv,
# solc-js behind tools/solc-shim (no compiler download), anvil from npm.

NODE_BIN := node_modules/.bin
BROWNIE_VENV := .venv-brownie
BROWNIE_PYTHON ?= python3.11
BROWNIE_VERSION ?= 1.22.2
BROWNIE := $(BROWNIE_VENV)/bin/brownie
SOLC_SHIM_DIR := $(CURDIR)/tools/solc-shim
CHAIN_RPC_URL ?= http://127.0.0.1:8545
ARTIFACTS_DIR := chain/artifacts
CONTRACT_SOURCES := $(shell find contracts -name '*.sol' 2>/dev/null)

# anvil (node_modules/.bin) and the solc shim must be visible to Brownie.
BROWNIE_ENV := PATH="$(CURDIR)/$(NODE_BIN):$(SOLC_SHIM_DIR):$$PATH" SOLCX_BINARY_PATH="$(SOLC_SHIM_DIR)" \
	CHAIN_RPC_URL="$(CHAIN_RPC_URL)" PYTHONDONTWRITEBYTECODE=1
BROWNIE_TEST_ARGS := -c tests/contracts/pytest.ini --rootdir . --confcutdir tests/contracts \
	--network trackpacks-test -W ignore::FutureWarning

.PHONY: node-deps brownie-venv brownie-networks compile-contracts check-artifacts test-contracts \
	gas deploy-local deploy-amoy deploy-polygon

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-deps: node_modules/.installed

$(BROWNIE_VENV)/.installed:
	test -x $(BROWNIE_VENV)/bin/python || $(BROWNIE_PYTHON) -m venv $(BROWNIE_VENV)
	$(BROWNIE_VENV)/bin/pip install -q --disable-pip-version-check uv
	$(BROWNIE_VENV)/bin/uv pip install -q --python $(BROWNIE_VENV)/bin/python eth-brownie==$(BROWNIE_VERSION)
	touch $@

brownie-venv: $(BROWNIE_VENV)/.installed

# Brownie keeps networks in ~/.brownie; (re)write ours every time (cheap, idempotent).
brownie-networks: brownie-venv
	@$(BROWNIE_ENV) $(BROWNIE_VENV)/bin/python tools/brownie_networks.py

$(ARTIFACTS_DIR)/TrackPacks.json: $(CONTRACT_SOURCES) tools/export-artifacts.js node_modules/.installed
	node tools/export-artifacts.js $(ARTIFACTS_DIR)

# Brownie build (build/, for tests and scripts) + the committed web3 artifacts.
compile-contracts: node-deps brownie-networks $(ARTIFACTS_DIR)/TrackPacks.json
	$(BROWNIE_ENV) $(BROWNIE) compile

check-artifacts: node-deps
	@tmp=$$(mktemp -d) && node tools/export-artifacts.js $$tmp >/dev/null && \
	if diff -r -q $(ARTIFACTS_DIR) $$tmp; then echo "artifacts up to date"; rm -rf $$tmp; \
	else echo "chain/artifacts differ from a fresh compile: run 'make compile-contracts' and commit"; rm -rf $$tmp; exit 1; fi

test-contracts: node-deps brownie-networks
	$(BROWNIE_ENV) $(BROWNIE) test tests/contracts $(BROWNIE_TEST_ARGS)

# Also compiles Chainlink's production VRFCoordinatorV2_5 (build/vrf/, measurement only).
gas: node-deps brownie-networks
	node tools/compile-vrf-coordinator.js build/vrf/VRFCoordinatorV2_5.json
	$(BROWNIE_ENV) $(BROWNIE) run scripts/gas_report.py --network trackpacks-test

# Deploys to the anvil that is already running at $(CHAIN_RPC_URL) (the app's `make run`).
deploy-local: node-deps brownie-networks
	@curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' $(CHAIN_RPC_URL) || \
		{ echo "no chain at $(CHAIN_RPC_URL): start anvil first"; exit 1; }
	$(BROWNIE_ENV) $(BROWNIE) run scripts/deploy.py --network local-anvil

# Live chains need DEPLOYER_PRIVATE_KEY, VRF_SUBSCRIPTION_ID, TRACKPACKS_ADMIN, TRACKPACKS_MINTER,
# TRACKPACKS_OPERATOR, TRACKPACKS_GOVERNANCE (see scripts/deploy.py) and the RPC URL below.
deploy-amoy: node-deps brownie-networks   # AMOY_RPC_URL
	$(BROWNIE_ENV) $(BROWNIE) run scripts/deploy.py --network amoy

deploy-polygon: node-deps brownie-networks   # POLYGON_RPC_URL
	$(BROWNIE_ENV) $(BROWNIE) run scripts/deploy.py --network polygon-mainnet
