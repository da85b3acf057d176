# Two commands set everything up on a fresh machine:
#   make demo   install, build the demo database if absent, run Headway on it
#   make test   install (with Debian's chromium and JRE), lint, type-check, run every test
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DB ?= demo.duckdb
DEMO_AS_OF ?= 2025-06-30
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install chromium java lint format test test-fast demo bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,spark]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's chromium (headless) through Playwright; the durability
# test builds a small LD_PRELOAD library with the C compiler (tests/web/sync_ledger.c).
chromium:
	@command -v chromium >/dev/null && command -v cc >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium gcc libc6-dev >/dev/null; }

# The Spark lane of the tests runs a real local Spark (pyspark, from the [spark] extra), which
# needs a Java runtime: Debian's headless JRE 17.
java:
	@command -v java >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

test: lint chromium java
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: install chromium java
	$(VENV)/bin/pytest -m "not slow" -x -q $(PYTEST_ARGS)

# Headway's main job on the demo world: build it once (about 10 s), then serve the dashboard.
demo: install
	@test -f $(DEMO_DB) || $(VENV)/bin/headway --db $(DEMO_DB) demo
	@echo "Open http://$(HOST):$(PORT)/journeys (the demo's data ends $(DEMO_AS_OF)); Ctrl-C stops."
	$(VENV)/bin/headway --db $(DEMO_DB) serve --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(DEMO_DB)
