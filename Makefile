# Everything a user or CI needs, from a fresh clone with Python 3.11 and nothing else installed.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DWH_DATA_DIR ?= $(CURDIR)/data
export AIRFLOW_HOME ?= $(DWH_DATA_DIR)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
DATE ?= $(shell date -u -d yesterday +%F)

.PHONY: help install test test-fast demo run sandbox manifest lock clean

help:
	@echo "make demo   - install, start the sandbox, build the demo warehouse, print a summary"
	@echo "make test   - install, run the whole suite (pytest, dbt build and tests, GX suites)"
	@echo "make run DATE=YYYY-MM-DD - run the daily DAG for one date through Airflow (DWH_SOURCES picks the sources)"

$(BIN)/python:
	$(shell command -v $(PYTHON) || command -v python3) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

install: $(VENV)/.installed

# Cosmos renders the dbt models as Airflow tasks from this manifest, so DAG parsing never runs dbt.
manifest: install
	cd dbt_project && ../$(BIN)/dbt parse --quiet

test: install manifest
	$(BIN)/python -m pytest -q -ra

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

demo: install manifest
	$(BIN)/python -m dwh.demo

run: install manifest
	$(BIN)/python -m dwh.airflow_env run --date $(DATE)

sandbox: install
	$(BIN)/python -m sandbox --port 8765

lock:
	rm -rf /tmp/dwh-lock && $(PYTHON) -m venv /tmp/dwh-lock && /tmp/dwh-lock/bin/pip install -q -e '.[test]' \
	  && /tmp/dwh-lock/bin/pip freeze --exclude-editable | grep -v '^crypto-dwh' > requirements.lock.new \
	  && (echo '# Pinned by `pip freeze` of a venv built from pyproject.toml on Python 3.11 (see `make lock`).'; cat requirements.lock.new) > requirements.lock && rm requirements.lock.new

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
