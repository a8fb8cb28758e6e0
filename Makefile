# The README's commands. Everything installs into .venv from pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/genai-monitor demo

test: install
	$(BIN)/python -m pytest -n 2

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) demo-data .pytest_cache .ruff_cache *.egg-info
