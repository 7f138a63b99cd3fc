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
# No usage telemetry from dbt: there may be no internet, and runs should not leak metadata.
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
DATE ?= $(shell date -u -d yesterday +%F)

.PHONY: help install check lint test test-fast demo run sandbox manifest lock clean

help:
	@echo "make demo   - install, start the sandbox, build the demo warehouse, print a summary"
	@echo "make check  - ruff, dbt parse, the fast tests and the dbt unit tests (under 2 minutes; before every commit)"
	@echo "make test   - install, run the whole suite as CI does (pytest incl. end-to-end, dbt build and tests, GX suites)"
	@echo "make run DATE=YYYY-MM-DD - run the daily DAG for one date through Airflow (DWH_SOURCES picks the sources)"
	@echo "make airflow-ui - Airflow (UI, scheduler, dag-processor, triggerer) on 127.0.0.1:$(AIRFLOW_PORT); password: AIRFLOW_ADMIN_PASSWORD or generated into \$$AIRFLOW_HOME"
	@echo "make docs   - dbt docs generate (catalog + lineage) and serve them on 127.0.0.1:$(DOCS_PORT)"
	@echo "make dashboard - the Superset dashboard over the published snapshot on 127.0.0.1:$(DASHBOARD_PORT)"
	@echo "make bench  - a year of synthetic history at scale; report in \$$DWH_DATA_DIR/reports/bench.json"

$(BIN)/python:
	$(shell command -v $(PYTHON) || command -v python3) -m venv $(VENV)

# The pinned packages go in with uv (from PyPI, the only thing pip itself fetches is uv): it resolves
# nothing (the lock is exact), downloads in parallel and compiles bytecode on both cores, ~15 s where
# pip took 3-6 minutes for the same lock. The system CA store is used, as pip does.
UV_VERSION := 0.13.9
UV := $(BIN)/uv
UV_INSTALL = $(UV) pip install -q --system-certs --compile-bytecode

$(UV): $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) requirements.lock pyproject.toml
	$(UV_INSTALL) --python $(BIN)/python -r requirements.lock
	$(UV_INSTALL) --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

# dbt's parse of the project once per checkout: each data dir's first dbt call starts from its partial-parse state.
manifest: install
	cd dbt_project && ../$(BIN)/dbt parse --quiet

# Two workers: most of the suite waits on sandboxes, subprocesses and backoff, not on a core.
# The demo warehouse starts building in the background as the session starts, and the files that read it
# run last (tests/conftest.py orders them; --no-loadscope-reorder keeps xdist from re-sorting by size).
# CI runs this target alone, so it lints too (ruff takes about a second).
# The set-up steps are independent (Debian packages, the two virtualenvs, dbt parse): they run side by side.
test:
	$(MAKE) --no-print-directory -j4 --output-sync=target system-deps lint manifest dashboard-install
	$(BIN)/python -m pytest -q -ra -n 2 --dist loadfile --no-loadscope-reorder --durations=25

# What a developer runs before a commit. The fast tests are every test not marked slow (pyproject.toml:
# no Airflow, demo, browser, Superset, Celery or dbt build of a sandbox day); they include
# tests/dbt/test_unit_tests.py, the project's dbt unit tests. `dbt parse` checks every model, test,
# contract and macro without a warehouse.
check: lint manifest
	$(BIN)/python -m pytest -q -n 2 -m "not slow"

lint: install
	$(BIN)/ruff check .

test-fast: check

demo: install manifest
	$(BIN)/python -m sandbox demo

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

# ---- docs and dashboard (dwh/cli.py, dashboard/) ----
# 8080 is the Airflow UI's port
DOCS_PORT ?= 8081
DASHBOARD_PORT ?= 8088
DASH_VENV := dashboard/.venv

.PHONY: docs dashboard dashboard-install

docs: install manifest
	$(BIN)/dwh docs --port $(DOCS_PORT)

# Superset gets its own virtualenv: its pins (Flask, SQLAlchemy 1.4, pandas 2.1) conflict with Airflow's.
# The metadata DB is migrated once here (~1.5 min) and copied for each Superset home.
$(DASH_VENV)/.installed: dashboard/requirements-superset.txt $(UV)
	test -x $(DASH_VENV)/bin/python || $(shell command -v $(PYTHON) || command -v python3) -m venv $(DASH_VENV)
	$(UV_INSTALL) --python $(DASH_VENV)/bin/python -r dashboard/requirements-superset.txt
	$(DASH_VENV)/bin/python dashboard/superset_app.py template
	touch $@

dashboard-install: $(DASH_VENV)/.installed

# Serves the published snapshot ($(DWH_DATA_DIR)/snapshot, from make demo or dwh run) on loopback.
dashboard: dashboard-install
	$(DASH_VENV)/bin/python dashboard/superset_app.py serve --port $(DASHBOARD_PORT)

# ---- system packages and the Airflow UI (scripts/, tests/ops/) ----
AIRFLOW_PORT ?= 8080

.PHONY: system-deps airflow-ui

# PostgreSQL, Redis, Chromium + driver from Debian for the ops tests; a no-op once installed.
system-deps:
	bash scripts/install_system_deps.sh

airflow-ui: install manifest
	AIRFLOW_PORT=$(AIRFLOW_PORT) bash scripts/airflow_ui.sh

# ---- benchmark (bench/, README "Benchmark"): a year of synthetic history through landing, load and dbt ----
# Not part of `make test` (tests/bench runs it at a tiny scale). BENCH_ARGS=--days 30 for a quicker look.
BENCH_ARGS ?=
.PHONY: bench

bench: install manifest
	$(BIN)/python -m bench.run $(BENCH_ARGS)
