"""The DAG through Airflow itself: `airflow dags test` against the sandbox (the suite's one), its tasks in the
run's order with one dbt build, a rerun idempotent, a failing venue recorded while the others finish."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import PROJECT
from tests.support.integrity import table_hashes

pytestmark = pytest.mark.slow
DAY = "2026-11-24"


def dags_test(env: dict[str, str], day: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "dwh.airflow_env", "run", "--date", day], cwd=PROJECT, env=env,
                          text=True, capture_output=True, timeout=1200)
    return proc


@pytest.fixture()
def airflow_env(data_dir, sandbox_sources, sandbox):
    # the aggregators ask for a key; the sandbox takes any (the live file names their env vars)
    env = dict(os.environ, AIRFLOW_HOME=str(data_dir / "airflow"),
               COINALYZE_API_KEY="placeholder", COINGLASS_API_KEY="placeholder")  # pragma: allowlist secret
    sandbox.set_clock(dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC))
    return env


def run_state(output: str) -> str:
    for line in reversed(output.splitlines()):
        if "state=" in line and ("DagRun Finished" in line or "Marking run" in line):
            return line
    return ""


def task_runs(airflow_home) -> list[tuple[str, str, str, str]]:
    """(task_id, state, start, end) of the DAG's task instances, from Airflow's own metadata DB."""
    import sqlite3

    with sqlite3.connect(airflow_home / "airflow.db") as db:
        return db.execute("SELECT task_id, state, start_date, end_date FROM task_instance "
                          "WHERE dag_id = 'crypto_market_daily' ORDER BY start_date").fetchall()


def test_dags_test_succeeds_and_a_rerun_changes_nothing(airflow_env, data_dir):
    from dwh.pipeline import source_names, steps_after_load

    first = dags_test(airflow_env, DAY)
    out = first.stdout + first.stderr
    assert first.returncode == 0, out[-4000:]
    assert "state=success" in run_state(out), out[-4000:]
    ran = task_runs(data_dir / "airflow")
    assert {state for _, state, _, _ in ran} == {"success"}, ran
    # an ingest per kind of source, then one chain: the load, then the steps `dwh run` takes, one dbt build
    chain = ["load_raw"] + [name for name, _ in steps_after_load(DAY)]
    ingests = [t for t, *_ in ran if t.startswith("ingest_")]
    assert sorted(ingests) == ["ingest_aggregators", "ingest_onchain", "ingest_venues"]
    assert sorted(t for t, *_ in ran) == sorted(ingests + chain)
    timed = {t: (start, end) for t, _, start, end in ran}
    last_ingest = max(timed[t][1] for t in ingests)
    assert timed["load_raw"][0] >= last_ingest
    for before, after in zip(chain, chain[1:]):
        assert timed[after][0] >= timed[before][1], (before, after)
    db = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        venues = {r[0] for r in con.execute(
            "SELECT DISTINCT exchange FROM marts.funding_daily WHERE date = ?", [DAY]).fetchall()}
        landed = {r[0] for r in con.execute("SELECT DISTINCT source FROM raw.ingest_runs WHERE date = ? "
                                            "AND status = 'ok'", [DAY]).fetchall()}
    assert venues == {"binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid"}
    assert landed == set(source_names())  # every source of every kind, through its kind's task
    hashes = table_hashes(db, exclude=("data_quality_results",))
    assert (data_dir / "snapshot" / "marts.duckdb").exists()
    # The rerun goes through the same steps directly (`dwh run`): the suite's one `airflow dags test` is the
    # run above, and a rerun that changes nothing proves both idempotency and that the DAG runs those steps.
    second = subprocess.run([sys.executable, "-m", "dwh.cli", "run", "--date", DAY], cwd=PROJECT, env=airflow_env,
                            text=True, capture_output=True, timeout=1200)
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    assert table_hashes(db, exclude=("data_quality_results",)) == hashes


def test_a_failing_venue_is_recorded_and_the_others_finish(data_dir, sandbox_sources, sandbox):
    """The same steps the DAG's tasks call, with OKX answering 500 to everything."""
    from concurrent.futures import ThreadPoolExecutor

    from dwh import pipeline
    from ingest.run import ingest_source

    sandbox.set_clock(dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC))
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


TASK_PROBE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.exceptions import AirflowFailException
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
task = bag.dags["crypto_market_daily"].get_task(sys.argv[2])
try:
    print(json.dumps({"returned": task.python_callable(ds=sys.argv[3])}))
except AirflowFailException as exc:
    print(json.dumps({"failed": str(exc)}))
"""


def test_a_failing_venue_fails_the_venues_task_once_the_others_landed(data_dir, sandbox_sources, sandbox):
    """The DAG's own ingest task (its callable, as Airflow calls it), with OKX's funding history answering 500
    to every attempt (one dataset, so the client's full backoff schedule runs once)."""
    sandbox.set_clock(dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC))
    sandbox.add_fault("okx", "http_500", count=-1, path="funding-rate-history")
    env = dict(os.environ, AIRFLOW_HOME=str(data_dir / "airflow"), AIRFLOW__CORE__UNIT_TEST_MODE="True",
               AIRFLOW__CORE__LOAD_EXAMPLES="False")
    try:
        proc = subprocess.run([sys.executable, "-c", TASK_PROBE, str(PROJECT / "dags"), "ingest_venues", DAY],
                              cwd=PROJECT, env=env, text=True, capture_output=True, timeout=600)
    finally:
        sandbox.clear_faults()
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "failed" in out, out
    assert out["failed"].startswith("ingest failed for okx (okx.funding_rates: ") and "HTTP 500" in out["failed"]
    from dwh import pipeline

    pipeline.load(DAY, ["binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid"])
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        runs = dict(con.execute("SELECT source, status FROM raw.ingest_runs WHERE dataset = 'funding_rates'"
                                " AND date = ?", [DAY]).fetchall())
        okx = dict(con.execute("SELECT dataset, status FROM raw.ingest_runs WHERE source = 'okx' AND date = ?",
                               [DAY]).fetchall())
    assert runs == {"binance": "ok", "bybit": "ok", "okx": "failed", "deribit": "ok", "bitmex": "ok",
                    "hyperliquid": "ok"}
    assert {status for name, status in okx.items() if name != "funding_rates"} == {"ok"}


def test_retry_after_is_waited_out_against_the_venue(data_dir, sandbox_sources, sandbox):
    import time

    from dwh import pipeline

    sandbox.set_clock(dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC))
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
