"""The DAG through Airflow itself: `airflow dags test` against the sandbox, rerun idempotent,
a failing venue recorded while the others finish."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import duckdb
import pytest

from dwh.integrity import table_hashes
from tests.conftest import PROJECT

pytestmark = pytest.mark.slow
DAY = "2026-11-24"


def dags_test(env: dict[str, str], day: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "dwh.airflow_env", "run", "--date", day], cwd=PROJECT, env=env,
                          text=True, capture_output=True, timeout=1200)
    return proc


@pytest.fixture()
def airflow_env(data_dir, sandbox_sources, sandbox):
    env = dict(os.environ, AIRFLOW_HOME=str(data_dir / "airflow"))
    sandbox.set_clock(dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.timezone.utc))
    return env


def run_state(output: str) -> str:
    for line in reversed(output.splitlines()):
        if "state=" in line and ("DagRun Finished" in line or "Marking run" in line):
            return line
    return ""


def test_dags_test_succeeds_and_rerun_is_identical(airflow_env, data_dir):
    first = dags_test(airflow_env, DAY)
    out = first.stdout + first.stderr
    assert first.returncode == 0, out[-4000:]
    assert "state=success" in run_state(out) or "success" in run_state(out), out[-4000:]
    db = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        venues = {r[0] for r in con.execute(
            "SELECT DISTINCT exchange FROM marts.funding_daily WHERE date = ?", [DAY]).fetchall()}
    assert venues == {"binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid"}
    hashes = table_hashes(db, exclude=("data_quality_results",))
    assert (data_dir / "snapshot" / "marts.duckdb").exists()
    second = dags_test(airflow_env, DAY)
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    assert table_hashes(db, exclude=("data_quality_results",)) == hashes


def test_a_failing_venue_is_recorded_and_the_others_finish(airflow_env, data_dir, sandbox):
    sandbox.add_fault("okx", "http_500", count=-1)
    try:
        proc = dags_test(airflow_env, DAY)
    finally:
        sandbox.clear_faults()
    out = proc.stdout + proc.stderr
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        runs = dict(con.execute("SELECT source, status FROM staging.stg_ingest__runs WHERE dataset = 'funding_rates'"
                                " AND date = ?", [DAY]).fetchall())
        venues = {r[0] for r in con.execute(
            "SELECT DISTINCT exchange FROM marts.funding_daily WHERE date = ?", [DAY]).fetchall()}
    assert runs["okx"] == "failed", out[-3000:]
    assert {v for k, v in runs.items() if k != "okx"} == {"ok"}
    assert venues == {"binance", "bybit", "deribit", "bitmex", "hyperliquid"}
    assert (data_dir / "snapshot" / "marts.duckdb").exists(), "publish still ran"
