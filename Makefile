# The README's commands. Everything installs into .venv from pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Debian packages the tests use: chromium for the dashboard's browser tests (driven by
# Playwright with executable_path=/usr/bin/chromium), docker-compose to validate the compose file.
SYSTEM_PACKAGES := chromium docker-compose

.PHONY: install system-deps demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The demo world: a local AWS stand-in seeded with 90 days of a six-team organisation, collected,
# evaluated and served on the dashboard. DEMO_ARGS=--no-serve builds it and exits.
demo: install
	$(BIN)/genai-monitor demo --dir demo-data $(DEMO_ARGS)

test: install system-deps
	$(BIN)/python -m pytest -n 2

# ruff (lint and format), the type checker (strict on core, collectors and alerts) and the house
# rules (file size, cyclomatic complexity, layering: tests/test_house.py, also part of `make test`)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:xdist tests/test_house.py

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/dashboard_load.py
	$(BIN)/python bench/pricing.py
	$(BIN)/python bench/cur.py
	$(BIN)/python bench/invocation_logs.py
	$(BIN)/python bench/collect.py

clean:
	rm -rf $(VENV) demo-data .pytest_cache .ruff_cache *.egg-info
