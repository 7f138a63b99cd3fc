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


def test_a_failing_venue_is_recorded_and_the_others_finish(data_dir, sandbox_sources, sandbox):
    """The same steps the DAG's tasks call, with OKX answering 500 to everything."""
    from concurrent.futures import ThreadPoolExecutor

    from dwh import pipeline
    from ingest.run import ingest_source

    sandbox.set_clock(dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.timezone.utc))
    venues = ["binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid"]
    sandbox.add_fault("okx", "http_500", count=-1)
    # Short backoff: the point is the outcome of giving up, not the production wait schedule.
    quick = {"max_attempts": 3, "backoff_base_s": 0.05}
    try:
        with ThreadPoolExecutor(6) as pool:
            manifests = dict(zip(venues, pool.map(
                lambda v: ingest_source(v, dt.date.fromisoformat(DAY), raise_on_failure=False,
                                        client_overrides=quick), venues)))
    finally:
        sandbox.clear_faults()
    assert all(e["status"] == "failed" for e in manifests["okx"]["datasets"].values())
    assert "HTTP 500" in manifests["okx"]["datasets"]["funding_rates"]["error"]
    for venue in venues[:2] + venues[3:]:
        assert {e["status"] for e in manifests[venue]["datasets"].values()} == {"ok"}, venue
    pipeline.load(DAY, venues)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        runs = dict(con.execute("SELECT source, status FROM raw.ingest_runs WHERE dataset = 'funding_rates'"
                                " AND date = ?", [DAY]).fetchall())
        loaded = {r[0] for r in con.execute("SELECT DISTINCT symbol FROM raw.bybit__funding_rates").fetchall()}
    assert runs["okx"] == "failed" and {v for k, v in runs.items() if k != "okx"} == {"ok"}
    assert loaded == {"BTCUSDT", "ETHUSDT"}


def test_retry_after_is_waited_out_against_the_venue(data_dir, sandbox_sources, sandbox):
    import time

    from dwh import pipeline

    sandbox.set_clock(dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.timezone.utc))
    sandbox.add_fault("bybit", "http_429", count=1, path="funding/history", params={"retry_after": 2})
    try:
        started = time.monotonic()
        manifest = pipeline.ingest("bybit", DAY, raise_on_failure=False)
    finally:
        sandbox.clear_faults()
    entry = manifest["datasets"]["funding_rates"]
    assert entry["status"] == "ok"
    assert entry["statuses"].get("429") == 1 and entry["http"]["retry_after_waited_s"] >= 2
    assert time.monotonic() - started >= 2
