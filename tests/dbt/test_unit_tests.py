"""Every dbt unit test of the project, once, where each can run.

A unit test reads fixed fixture rows, not the day's data, but dbt still looks up the column types of every
relation it mocks, so each mocked table has to exist. The daily runs build without unit tests (a disabled
venue's raw table is never created, and dbt recommends unit tests for development and CI only:
https://docs.getdbt.com/docs/build/unit-tests, "When to run unit tests"); here the raw layer is created empty,
with the loader's own DDL for every dataset of every registered source, and the whole project is built with
its unit tests, in dependency order as dbt runs them.
"""
from __future__ import annotations

import datetime as dt
import json

import duckdb

DAY = dt.date(2026, 11, 25)


def test_every_dbt_unit_test_passes(data_dir):
    from dwh import pipeline
    from dwh.dbt import run_dbt, target_dir
    from dwh.freshness import DDL as FRESHNESS_DDL
    from expectations.runner import RESULTS_DDL
    from ingest.load import ensure_dataset_table, ensure_tables
    from ingest.stream.load import ensure_stream_tables
    from ingest.venues import MODULES, datasets_for

    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        ensure_tables(con)
        ensure_stream_tables(con)
        for source in MODULES:
            for ds in datasets_for(source):
                ensure_dataset_table(con, source, ds)
        con.execute(FRESHNESS_DDL)
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(RESULTS_DDL)

    proc = run_dbt(["build", "--vars", pipeline.dbt_vars(DAY)], check=False)
    results = json.loads((target_dir() / "run_results.json").read_text())["results"]
    manifest = json.loads((target_dir() / "manifest.json").read_text())
    unit = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    failed = {uid: status for uid, status in unit.items() if status != "pass"}
    assert not failed, proc.stdout[-4000:]
    # every unit test in the project ran (none was skipped because a model upstream of it failed)
    assert set(unit) == set(manifest["unit_tests"]) and len(unit) >= 40, sorted(set(manifest["unit_tests"]) - set(unit))
    assert proc.returncode == 0, proc.stdout[-4000:]
