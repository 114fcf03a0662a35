# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
# Both create .venv when it is missing and reuse it afterwards.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

export DO_NOT_TRACK := 1
export DAGSTER_HOME := $(CURDIR)
export FACTORY_WAREHOUSE_HOME ?= $(CURDIR)/data
export DAGSTER_STORAGE_DIR ?= $(FACTORY_WAREHOUSE_HOME)/dagster/storage
export DAGSTER_COMPUTE_LOGS_DIR ?= $(FACTORY_WAREHOUSE_HOME)/dagster/logs

.PHONY: setup demo test lint dev clean

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(INSTALLED)

setup: $(INSTALLED)  ## create .venv with the pinned dependencies

demo: setup  ## generate 30 days for 10 customers, materialise every asset, print a summary
	$(BIN)/factory-warehouse demo

lint: setup  ## ruff (Python) and sqlfluff (dbt SQL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models --processes 2

test: lint  ## lint, then the whole test suite
	$(BIN)/pytest -q --durations=15 -n 2 --dist loadfile

dev: setup  ## open the Dagster UI on this project (http://127.0.0.1:3000)
	mkdir -p $(FACTORY_WAREHOUSE_HOME)
	$(BIN)/dagster dev -m orchestration.definitions

clean:  ## remove generated data and dbt artefacts (keeps .venv)
	rm -rf data dbt_project/target dbt_project/logs
