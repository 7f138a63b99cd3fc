"""DWH_MEMORY_LIMIT bounds every DuckDB the project opens: the pipeline's, the loader's and dbt's."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pytest

from ingest import warehouse
from tests.conftest import PROJECT

SETTINGS = ("SELECT current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('temp_directory')")  # the spill directory: DuckDB's default, beside the file

# a pipeline step in its own process: the loader on the pipeline's connection over an empty landing
# zone, then dbt through dwh.dbt, each reporting what DuckDB itself says its limit is
STEP = f"""
import datetime as dt
import json
import duckdb
from dwh import pipeline
from dwh.dbt import run_dbt
from ingest.config import data_dir, warehouse_path
from ingest.load import load_day
from ingest.venues import datasets_for

with pipeline.connect() as con:  # the connection pipeline.load hands the loader
    load_day(con, data_dir(), dt.date(2026, 11, 26), {{"okx": datasets_for("okx")}})
    loader = con.execute("{SETTINGS}").fetchone()
    # a plain connection beside it shares the bounded instance
    with duckdb.connect(str(warehouse_path())) as plain:
        assert plain.execute("{SETTINGS}").fetchone() == loader
shown = run_dbt(["show", "--quiet", "--output", "json", "--inline", "{SETTINGS} AS s"]).stdout
print(json.dumps({{"loader": loader, "dbt": shown}}))
"""


@pytest.mark.slow
def test_a_pipeline_step_and_dbt_run_under_the_configured_limit(tmp_path):
    env = dict(os.environ, DWH_DATA_DIR=str(tmp_path), DWH_MEMORY_LIMIT="700MB", DWH_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", STEP], cwd=PROJECT, env=env, text=True, capture_output=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    spill = str(tmp_path / "warehouse.duckdb.tmp")
    # DuckDB reports 700 MB (10^6 bytes) in MiB
    assert out["loader"] == ["667.5 MiB", 1, spill], out
    dbt_row = next(iter(json.loads(out["dbt"][out["dbt"].index("{"):])["show"]))
    assert list(dbt_row.values()) == ["667.5 MiB", 1, spill], dbt_row


# two million md5 strings sorted: about 150 MB of keys, which a 60 MB limit can only sort by spilling
SPILLING_QUERY = ("select count(distinct x) as n from "
                  "(select md5(i::varchar) as x from range(2000000) as t(i) order by x)")


@pytest.mark.slow
def test_dbt_spills_under_a_small_limit(tmp_path):
    # dbt re-applies its profile's settings on every cursor: a build that spills must not fail on them
    env = dict(os.environ, DWH_DATA_DIR=str(tmp_path), DWH_MEMORY_LIMIT="60MB", DWH_THREADS="1")
    code = ("from dwh.dbt import run_dbt; "
            f"print(run_dbt(['show', '--quiet', '--output', 'json', '--inline', {SPILLING_QUERY!r}]).stdout)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=env, text=True, capture_output=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '"n": 2000000' in proc.stdout, proc.stdout[-2000:]


def test_the_default_fits_a_small_worker_and_a_plain_connection_still_opens(tmp_path, monkeypatch):
    monkeypatch.setenv("DWH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DWH_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("DWH_THREADS", raising=False)
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path) as con:
        con.execute("CREATE TABLE t AS SELECT 42 AS a")
        assert con.execute(SETTINGS).fetchone() == ("1.1 GiB", 2, str(path) + ".tmp")
        # a day's load (~50 MB of WAL at a year's scale) is checkpointed when the warehouse closes, not
        # during it (ingest.warehouse.CHECKPOINT_THRESHOLD)
        assert con.execute("SELECT current_setting('checkpoint_threshold')").fetchone() == ("244.1 MiB",)
        # tests and the CLI open the same file plainly in the same process: DuckDB must not refuse
        # it for a different config, and the instance keeps the bound
        with duckdb.connect(str(path)) as plain:
            assert plain.execute("SELECT a, current_setting('memory_limit') FROM t").fetchone() == (42, "1.1 GiB")
    monkeypatch.setenv("DWH_MEMORY_LIMIT", "1GB")
    with warehouse.connect(path, read_only=True) as ro:
        assert ro.execute("SELECT a, current_setting('memory_limit') FROM t").fetchone() == (42, "953.6 MiB")


@pytest.mark.parametrize("name, value", [("DWH_MEMORY_LIMIT", "lots"), ("DWH_MEMORY_LIMIT", "2GB'; DROP TABLE t; --"),
                                         ("DWH_THREADS", "0"), ("DWH_THREADS", "two")])
def test_a_malformed_setting_is_refused_with_its_name(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv("DWH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        warehouse.connect(tmp_path / "w.duckdb")


def test_a_step_above_the_rss_limit_fails_the_bench_and_a_missing_ratio_is_not_a_zero():
    from bench.goals import evaluate

    results = {"a_ratio_full_over_small": 1.1, "b_ratio_dbt_transform_over_sql": 1.7,
               "c_ratio_load_rate_over_read_json": None, "d_peak_rss_mb": 2300.0,
               "d_peak_rss_mb_by_step": {"load": 900.0, "dbt_full_refresh": 2300.0, "templates": None},
               "e_http": [{"client_rate": 50, "limit_rps": 50, "achieved_over_limit": 0.99, "unhonoured_429": 0},
                          {"client_rate": 100, "limit_rps": 50, "achieved_over_limit": 1.1, "unhonoured_429": 1}]}
    goals = evaluate(results, 2 * 2**30, {"date": "2026-12-05", "airflow_s": 60.0, "direct_s": 50.0, "ratio": 1.2})
    assert goals["P6"]["met"] is False and goals["P6"]["steps_over_limit"] == {"dbt_full_refresh": 2300.0}
    assert (goals["P1"]["met"], goals["P2"]["met"], goals["P3"]["met"]) == (True, False, None)
    assert goals["P3"]["value"] is None
    assert goals["P4"]["value"] == 0.99 and goals["P4"]["met"] is False  # a 429 not waited out
    assert (goals["P5"]["value"], goals["P5"]["met"], goals["P5"]["measured"]["airflow_s"]) == (1.2, True, 60.0)
