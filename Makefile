# crmwb: one command to set up and regenerate the reports, one to test.
# Needs nothing but python3 (3.11+); everything else goes into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed
DEV := $(VENV)/.installed-dev
DATA := data/default/transactions.parquet

.PHONY: install reports data test lint lab clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME)

install: $(RUNTIME)

$(DATA): | $(RUNTIME)
	$(BIN)/crmwb data generate --if-missing

data: $(DATA)

reports: $(RUNTIME) $(DATA)
	$(BIN)/crmwb run $(if $(PARAMS),--params $(PARAMS))

test: $(DEV) $(DATA)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(DEV)
	$(BIN)/ruff check .

# JupyterLab on working copies with one language's prose: make lab LAB_LANG=fa
lab: $(RUNTIME) $(DATA)
	$(BIN)/crmwb lab --lang $(or $(LAB_LANG),en)

clean:
	rm -rf reports/*.html reports/*.ipynb .pytest_cache .ruff_cache
