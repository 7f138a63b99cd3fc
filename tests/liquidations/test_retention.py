"""Retention windows of the REST liquidation datasets and the completeness they lead to.

OKX serves liquidation orders of "the last day" only; Deribit's main host keeps 24 hours of trades. A day read
after its start aged out is a partial window, not a quiet day; polled during the day (`dwh poll`, the hourly
DAG) it is complete. Everything runs against the sandbox and its clock: the sandbox answers only what is inside
the retention window and stamps its answers with its own Date, the fetchers record what their pages provably
covered, the loader and dbt turn that into `completeness` per venue-day, and the brief prints it.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import os
import subprocess
import sys

import duckdb
import httpx
import pytest

from ingest.config import SourceConfig
from ingest.load import load_day
from ingest.run import ingest_source
from ingest.spec import FetchContext, covered_window
from ingest.venues import datasets_for
from ingest.venues.deribit import trades as deribit_trades
from sandbox.harness.process import sandbox_sources_file
from tests.conftest import PROJECT
from tests.liquidations._helpers import dbt
from tests.support.sandbox import warehouse_env

UTC = dt.UTC
LATE_DAY = dt.date(2026, 11, 25)  # read only by its daily run, at 11-26 00:30
POLLED_DAY = dt.date(2026, 11, 26)  # polled at 23:50, then read at 11-27 00:30
MS_DAY = 86_400_000


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


def ms(t: dt.datetime) -> int:
    return int(t.timestamp() * 1000)


# --- the rule itself ---------------------------------------------------------------------------------------
def test_a_read_covers_from_its_last_answer_minus_retention_to_its_first_answer():
    start, end, day = at(POLLED_DAY, 0), at(POLLED_DAY + dt.timedelta(days=1), 0), dt.timedelta(hours=24)
    late = covered_window(start, end, at(POLLED_DAY + dt.timedelta(days=1), 0, 30),
                          at(POLLED_DAY + dt.timedelta(days=1), 0, 31), day)
    assert late == (at(POLLED_DAY, 0, 31), end)  # the first 31 minutes had aged out
    assert covered_window(start, end, at(POLLED_DAY, 23, 50), at(POLLED_DAY, 23, 51), day) == (start, at(POLLED_DAY, 23, 50))
    assert covered_window(start, end, at(POLLED_DAY + dt.timedelta(days=3), 0), at(POLLED_DAY + dt.timedelta(days=3), 0),
                          day) is None  # nothing of D is left
    assert covered_window(start, end, at(POLLED_DAY + dt.timedelta(days=30), 0), at(POLLED_DAY + dt.timedelta(days=30), 0),
                          None) == (start, end)  # a host that keeps everything


def test_the_datasets_carry_their_documented_retention():
    by_name = {(s, d.name): d for s in ("okx", "deribit") for d in datasets_for(s)}
    for key in (("okx", "liquidations"), ("deribit", "future_trades")):
        spec = by_name[key]
        assert spec.retention == dt.timedelta(hours=24), key
        assert spec.retention_doc.startswith("https://"), key
    assert by_name[("okx", "funding_rates")].retention is None


class ClockedDeribit:
    """One page of trades, answered at a fixed venue time (what HttpClient reads from the Date header)."""

    def __init__(self, now: dt.datetime):
        self.last_server_time = now.timestamp()

    def get_json(self, path, params=None, **_):
        return {"jsonrpc": "2.0", "result": {"trades": [{"trade_id": "1", "timestamp": params["start_timestamp"]}],
                                             "has_more": False}}


@pytest.mark.parametrize("history_host, covered_from", [(None, at(POLLED_DAY, 0, 30, )), ("http://history", None)])
def test_deribit_main_host_keeps_a_day_the_history_host_everything(history_host, covered_from):
    extra = {"history_base_url": history_host} if history_host else {}
    cfg = SourceConfig("deribit", True, "venue", "http://stub", ("BTC",), 100.0, extra=extra)
    ctx = FetchContext(source=cfg, client=ClockedDeribit(at(POLLED_DAY + dt.timedelta(days=1), 0, 30)),
                       day=POLLED_DAY, log=logging.getLogger("test"))
    deribit_trades.fetch_future_trades(ctx)
    window = ctx.notes["covered_window"]
    got = dt.datetime.fromisoformat(window["from"])
    if covered_from is None:
        assert got == at(POLLED_DAY, 0)
    else:  # the Date header is whole seconds: the answer may have been made up to a second later
        assert covered_from < got <= covered_from + dt.timedelta(seconds=2)
    assert window["to"] == at(POLLED_DAY + dt.timedelta(days=1), 0).isoformat() and window["clock"] == "venue"


# --- the sandbox follows the venue ---------------------------------------------------------------------------
def test_okx_sandbox_answers_only_its_last_day_and_dates_answers_on_its_clock(sandbox):
    now = at(POLLED_DAY + dt.timedelta(days=1), 0, 30)
    sandbox.set_clock(now)
    url = sandbox.url + "/okx/api/v5/public/liquidation-orders"
    params = {"instType": "SWAP", "instFamily": "BTC-USDT", "state": "filled", "limit": 100}
    aged = httpx.get(url, params={**params, "after": ms(now) - MS_DAY})
    assert aged.json() == {"code": "0", "msg": "", "data": []}
    assert email.utils.parsedate_to_datetime(aged.headers["Date"]) == now
    kept = httpx.get(url, params={**params, "after": ms(now) - MS_DAY + 3_600_000}).json()["data"]
    stamps = [int(d["ts"]) for inst in kept for d in inst["details"]]
    assert stamps and min(stamps) >= ms(now) - MS_DAY


# --- end to end: late read -> partial_window, polled -> complete ----------------------------------------------
@pytest.fixture(scope="module")
def warehouse(sandbox, tmp_path_factory, dbt_target):
    root = tmp_path_factory.mktemp("retention") / "data"
    root.mkdir()
    only_okx = {name: name == "okx" for name in ("binance", "bybit", "deribit", "bitmex", "hyperliquid")}
    with warehouse_env(sandbox.url, root, only_okx):
        sandbox.clear_faults()
        from dwh.cli import main as dwh

        sandbox.set_clock(at(LATE_DAY + dt.timedelta(days=1), 0, 30))  # LATE_DAY's daily run, never polled
        late = ingest_source("okx", LATE_DAY, root=root, datasets=["instruments", "liquidations"])
        sandbox.set_clock(at(POLLED_DAY, 23, 50))  # the last hourly poll of POLLED_DAY
        assert dwh(["poll", "--source", "okx", "--date", POLLED_DAY.isoformat()]) == 0
        sandbox.set_clock(at(POLLED_DAY + dt.timedelta(days=1), 0, 30))
        ingest_source("okx", POLLED_DAY, root=root, datasets=["instruments", "liquidations"])
        with duckdb.connect(str(root / "warehouse.duckdb")) as con:
            for day in (LATE_DAY, POLLED_DAY):
                load_day(con, root, day, {"okx": datasets_for("okx")})
        # the unit tests mock raw tables the other (disabled) venues never created; test_models runs them
        dbt(root, "build", "--select", "+liquidations_daily", "fct_liquidations", "--exclude-resource-type", "unit_test",
            "--vars", f"{{run_date: '{POLLED_DAY.isoformat()}'}}", target=dbt_target)
        yield root, late


def query(root, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.mark.slow  # the warehouse fixture builds a sandbox day with dbt
def test_a_day_read_after_its_start_aged_out_is_a_partial_window(warehouse):
    root, late = warehouse
    window = late["datasets"]["liquidations"]["notes"]["covered_window"]
    assert window["clock"] == "venue"  # the sandbox's Date, not this machine's clock
    rows = query(root, """SELECT asset, completeness, hours_covered, covered_from, covered_to, events
                          FROM marts.liquidations_daily_by_exchange WHERE date = ? AND exchange = 'okx'
                          ORDER BY asset""", [LATE_DAY])
    assert [r[0] for r in rows] == ["BTC", "ETH"]
    for _, completeness, hours, covered_from, covered_to, events in rows:
        assert (completeness, hours) == ("partial_window", 23)
        assert dt.datetime(2026, 11, 25, 0, 30) < covered_from < dt.datetime(2026, 11, 25, 0, 31)
        assert covered_to == dt.datetime(2026, 11, 26) and events > 0
    first = query(root, "SELECT min(liquidated_at) FROM marts.fct_liquidations WHERE liquidated_at >= ? AND liquidated_at < ?",
                  [dt.datetime(2026, 11, 25), dt.datetime(2026, 11, 26)])[0][0]
    assert first >= dt.datetime(2026, 11, 25, 0, 30)  # what had aged out is missing, and the day says so
    daily = query(root, "SELECT DISTINCT completeness, partial_venues FROM marts.liquidations_daily WHERE date = ?",
                  [LATE_DAY])
    assert daily == [("partial_window", "okx")]


@pytest.mark.slow  # the warehouse fixture builds a sandbox day with dbt
def test_a_day_polled_while_it_ran_is_complete(warehouse):
    root, _ = warehouse
    rows = query(root, """SELECT DISTINCT completeness, hours_covered, covered_from, covered_to, counted_channels
                          FROM marts.liquidations_daily_by_exchange WHERE date = ? AND exchange = 'okx'""", [POLLED_DAY])
    assert rows == [("complete", 24, dt.datetime(2026, 11, 26), dt.datetime(2026, 11, 27), "rest")]
    from sandbox.market import liquidations

    want = sum(len(liquidations(7, "okx", a, POLLED_DAY)) for a in ("BTC", "ETH"))
    got = query(root, "SELECT sum(events) FROM marts.liquidations_daily_by_exchange WHERE date = ? AND exchange = 'okx'",
                [POLLED_DAY])[0][0]
    assert got == want  # the poll read the start of the day, the run its end: every order once
    runs = query(root, """SELECT count(*) FROM raw.ingest_runs WHERE source = 'okx' AND dataset = 'liquidations'
                          AND date = ? AND covered_from IS NOT NULL""", [POLLED_DAY])[0][0]
    assert runs == 2
    assert query(root, "SELECT DISTINCT completeness FROM marts.liquidations_daily WHERE date = ?",
                 [POLLED_DAY]) == [("complete",)]


@pytest.mark.slow  # the warehouse fixture builds a sandbox day with dbt
def test_the_brief_prints_the_per_venue_table_the_figures_rest_on(warehouse, monkeypatch):
    root, _ = warehouse
    monkeypatch.setenv("DWH_DATA_DIR", str(root))
    from dwh.brief import liquidation_venue_table

    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        late = liquidation_venue_table(con, LATE_DAY)
        polled = liquidation_venue_table(con, POLLED_DAY)
    caption, header, rows = late
    assert header == ["Venue", "Longs", "Shorts", "Total", "Completeness"]
    assert [r[0] for r in rows] == ["okx"]
    assert rows[0][4].startswith("partial window, 23/24 h (00:30-24:00 UTC)")
    totals = query(root, """SELECT sum(long_usd), sum(total_usd) FROM marts.liquidations_daily_by_exchange
                            WHERE date = ? AND exchange = 'okx'""", [POLLED_DAY])[0]
    from dwh.brief import usd

    assert polled[2] == [["okx", usd(totals[0]), polled[2][0][2], usd(totals[1]), "complete"]]


# --- the hourly DAG ------------------------------------------------------------------------------------------
@pytest.mark.slow  # airflow dags test
def test_the_hourly_dag_polls_the_day_of_its_interval(sandbox, tmp_path):
    """`airflow dags test` of liquidations_poll_hourly: one task per source with a retention-limited dataset;
    the run lands OKX's orders for the day of its interval with the window they cover."""
    from dwh.airflow_env import airflow_env

    data = tmp_path / "data"
    data.mkdir()
    only_okx = {name: name == "okx" for name in ("binance", "bybit", "deribit", "bitmex", "hyperliquid")}
    sources = sandbox_sources_file(sandbox.url, data / "sources.yml", only_okx)
    sandbox.clear_faults()
    sandbox.set_clock(at(POLLED_DAY, 12, 5))
    env = airflow_env({"AIRFLOW_HOME": str(tmp_path / "airflow"), "DWH_DATA_DIR": str(data),
                       "DWH_SOURCES": str(sources), "AIRFLOW__CORE__UNIT_TEST_MODE": "True"})
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    proc = subprocess.run([airflow, "dags", "test", "liquidations_poll_hourly", "2026-11-26T12:00:00+00:00"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    manifests = sorted((data / "landing" / "_runs" / "source=okx" / "date=2026-11-26").glob("*.json"))
    assert len(manifests) == 1, manifests
    entry = json.loads(manifests[0].read_text())["datasets"]
    assert list(entry) == ["liquidations"] and entry["liquidations"]["status"] == "ok"
    window = entry["liquidations"]["notes"]["covered_window"]
    assert window["from"] == at(POLLED_DAY, 0).isoformat()
    assert at(POLLED_DAY, 12, 5) <= dt.datetime.fromisoformat(window["to"]) < at(POLLED_DAY, 12, 10)  # the venue's clock
    assert "poll_okx" in proc.stdout + proc.stderr
    assert PROJECT.joinpath("dags", "liquidations_poll_hourly.py").exists()


def test_the_venue_clock_is_read_from_the_date_header():
    from ingest.http import server_date

    assert server_date("Thu, 26 Nov 2026 23:50:00 GMT") == at(POLLED_DAY, 23, 50).timestamp()
    assert server_date(None) is None and server_date("not a date") is None  # then the fetch notes `local`
