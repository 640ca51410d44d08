# One entry point. `make run` starts the product, `make test` runs every test; both install
# what they need first (Python venv, Node packages, Brownie's own venv).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# Settings fail closed (DEBUG off = production, which refuses development stand-ins): the
# development targets below switch development mode on explicitly. `make prod` does not.
export DEBUG ?= true

-include contracts.mk

.PHONY: install run prod test test-app lint typecheck schema migrate superuser clean browser-deps screenshots

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv pip install -q --python $(PY) -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --noinput

run: install node-deps
	$(MANAGE) devstack

# The production profile on this machine (DEBUG off, gunicorn, 2 Celery workers, one beat)
# through deploy/entrypoint.sh, as the container image runs it. Needs DATABASE_URL
# (PostgreSQL) and REDIS_URL; anvil and localstripe stand in for the chain and Stripe.
prod: install node-deps
	DEBUG=false $(PY) deploy/localprofile.py

test-app: install node-deps
	$(VENV)/bin/pytest

# Debian's chromium for the browser tests (driven by pip playwright; no browser download).
# Without root or apt the browser tests are skipped with a reason, the rest still runs.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ]; then APT=apt-get; else APT="sudo -n apt-get"; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { $$APT install -y -q chromium || { $$APT update -q && $$APT install -y -q chromium; }; } \
	  >/dev/null 2>&1 || echo "chromium not installed: browser tests will be skipped"; }

# The admin dashboard's screenshot in docs/, taken by the browser test.
screenshots: install browser-deps
	UPDATE_SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/admin/test_dashboard_browser.py

test: install browser-deps
	$(MAKE) --no-print-directory test-contracts
	$(MAKE) --no-print-directory test-app

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

typecheck: install
	$(VENV)/bin/mypy .

schema: install
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

superuser: migrate
	$(MANAGE) createsuperuser

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Performance benchmarks, written up in docs/BENCHMARKS.md. Loopback only, each in its own temp
# dir and SQLite file (~5-6 minutes); the production profile's on its own PostgreSQL database
# (BENCH_DATABASE_URL or DATABASE_URL names the server; skipped without one). Gas is re-measured by `make gas` (printed; docs/GAS.md is
# left as committed); BENCH_GAS=table prints the committed table instead.
.PHONY: bench
bench: install node-deps
	$(PY) -m benchmarks.api_throughput
	$(PY) -m benchmarks.query_counts
	@if [ "$(BENCH_GAS)" = table ]; then $(PY) -m benchmarks.gas_table; \
	else GAS_MD=- $(MAKE) --no-print-directory gas; fi
	$(PY) -m benchmarks.open_latency --samples 20
	$(PY) -m benchmarks.card_fulfilment --orders 200
	$(PY) -m benchmarks.production_profile
