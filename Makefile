# One entry point. `make run` starts the product, `make test` runs every test; both install
# what they need first (Python venv, Node packages, Brownie's own venv).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

-include contracts.mk

.PHONY: install run test test-app lint typecheck schema migrate superuser clean

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

test-app: install
	$(VENV)/bin/pytest

test: install
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
