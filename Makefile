# Two commands set everything up on a fresh machine:
#   make demo   install, build the demo database if absent, run Headway on it
#   make test   install, lint, type-check, run the whole test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DB ?= demo.duckdb
DEMO_AS_OF ?= 2025-06-30
PYTEST_ARGS ?=

.PHONY: install lint format test test-fast demo bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: install
	$(VENV)/bin/pytest -m "not slow" -x -q $(PYTEST_ARGS)

# Until the dashboard lands, Headway's main job on the demo world is its reports in the
# terminal: the example journeys' funnels and the email statistics (human view).
demo: install
	@test -f $(DEMO_DB) || $(VENV)/bin/headway --db $(DEMO_DB) demo
	@for journey in examples/*.yaml; do \
		$(VENV)/bin/headway --db $(DEMO_DB) funnel $$journey --as-of $(DEMO_AS_OF) || exit 1; \
	done
	$(VENV)/bin/headway --db $(DEMO_DB) emails stats --human

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(DEMO_DB)
