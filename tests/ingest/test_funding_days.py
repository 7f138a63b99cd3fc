"""Which funding records make a day, venue by venue, through the real path: HTTP against the sandbox (or a
recorded venue answer), landing, the loader, dbt staging and the funding marts.

Deribit stamps each hourly record at the END of its hour and treats `start_timestamp` as exclusive
(https://docs.deribit.com/api-reference/market-data/public-get_funding_rate_history, the example asking
00:00..04:00 answers 01:00..04:00): D's accrual is the 24 records stamped (D 00:00, D+1 00:00].
Hyperliquid settled every 8 hours until 2023-06-08 and hourly after (tests/fixtures/hyperliquid/).
"""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import httpx
import pytest
import yaml

from ingest.http import Exchange
from ingest.landing import Lander
from ingest.load import ensure_dataset_table, ensure_tables, landed_files, load_files
from ingest.run import ingest_source
from ingest.venues import datasets_for
from tests.conftest import FIXTURES
from tests.liquidations._helpers import dbt

DAY = dt.date(2026, 11, 24)
RUN_AT = dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC)  # what the scheduled run of DAY sees
MS_HOUR = 3_600_000
DAY_MS = int(dt.datetime.combine(DAY, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)
FUNDING_MODELS = "+funding_daily"  # the six staging views, the union, funding_rates, funding_daily and their tests


def _dataset(source: str, name: str):
    return next(d for d in datasets_for(source) if d.name == name)


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory):
    """One dbt target for the module, so dbt parses the project once and partially after that."""
    return tmp_path_factory.mktemp("dbt_target")


@pytest.fixture(scope="module")
def funding_sb():
    from sandbox.server import SandboxServer

    with SandboxServer(seed=7, clock=RUN_AT, rate_limit_scale=0) as server:
        yield server


@pytest.fixture()
def sb_sources(funding_sb, data_dir, monkeypatch):
    """A sources file naming only Deribit, on the sandbox: this test is about one venue's edges."""
    funding_sb.clear_faults()
    funding_sb.set_clock(RUN_AT)
    path = data_dir / "sources.yml"
    path.write_text(yaml.safe_dump({"sources": {"deribit": {
        "enabled": True, "kind": "venue", "base_url": f"{funding_sb.url}/deribit", "assets": ["BTC", "ETH"],
        "rate_limit": {"requests_per_second": 50}}}}))
    monkeypatch.setenv("DWH_SOURCES", str(path))
    return path


def _raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The funding raw tables dbt's unit tests read their column types from."""
    ensure_tables(con)
    for source in ("deribit", "hyperliquid"):
        ensure_dataset_table(con, source, _dataset(source, "funding_rates"))
    ensure_dataset_table(con, "coinglass", _dataset("coinglass", "funding_oi_weighted"))


@pytest.mark.slow  # a dbt build
def test_coinglass_candles_by_plan_unit_test(data_dir, dbt_target):
    """dbt's unit test of stg_coinglass__funding_rates (4-hour candles on the Hobbyist plan)."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        _raw_tables(con)
    proc = dbt(data_dir, "build", "--select", "stg_coinglass__funding_rates", target=dbt_target)
    assert "coinglass_funding_candles_follow_the_plan_interval" in proc.stdout and "ERROR=0" in proc.stdout


def test_sandbox_answers_the_docs_example_edges(funding_sb):
    """The docs' own request (start 00:00, end 04:00) answers the records stamped 01:00 .. 04:00."""
    with httpx.Client(base_url=funding_sb.url, timeout=10) as c:
        rows = c.get("/deribit/api/v2/public/get_funding_rate_history", params={
            "instrument_name": "BTC-PERPETUAL", "start_timestamp": DAY_MS,
            "end_timestamp": DAY_MS + 4 * MS_HOUR}).json()["result"]
    assert [r["timestamp"] for r in rows] == [DAY_MS + h * MS_HOUR for h in (1, 2, 3, 4)]
    # each record is its hour: the previous record's closing index is this one's opening index
    assert all(b["prev_index_price"] == a["index_price"] for a, b in zip(rows, rows[1:]))


@pytest.mark.slow  # a dbt build of a sandbox day
def test_deribit_day_is_24_hours_through_ingest_load_and_marts(sb_sources, data_dir, dbt_target):
    manifest = ingest_source("deribit", DAY, datasets=["funding_rates"])
    assert manifest["datasets"]["funding_rates"]["status"] == "ok", manifest
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        _raw_tables(con)
        ds = _dataset("deribit", "funding_rates")
        load_files(con, "deribit", ds, DAY, landed_files(data_dir, "deribit", "funding_rates", DAY))
        got = con.execute("""
            SELECT instrument_name, count(*), min(timestamp_ms), max(timestamp_ms)
            FROM raw.deribit__funding_rates GROUP BY 1 ORDER BY 1""").fetchall()
    first, last = DAY_MS + MS_HOUR, DAY_MS + 24 * MS_HOUR
    assert got == [("BTC-PERPETUAL", 24, first, last), ("ETH-PERPETUAL", 24, first, last)]

    dbt(data_dir, "build", "--select", FUNDING_MODELS, "--vars", json.dumps({"run_date": DAY.isoformat()}),
        target=dbt_target)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        daily = con.execute("""
            SELECT date, asset, observations FROM marts.funding_daily WHERE exchange = 'deribit'
            ORDER BY asset""").fetchall()
        # the mart's mean is the mean of exactly the 24 hours that accrued on DAY
        mean_diff = con.execute("""
            SELECT max(abs(d.rate_8h - r.rate_8h)) FROM marts.funding_daily d
            JOIN (SELECT split_part(instrument_name, '-', 1) AS asset, avg(interest_1h * 8) AS rate_8h
                  FROM raw.deribit__funding_rates GROUP BY 1) r USING (asset)
            WHERE d.exchange = 'deribit'""").fetchone()[0]
    assert daily == [(DAY, "BTC", 24), (DAY, "ETH", 24)]
    assert mean_diff < 1e-12


def test_hyperliquid_sandbox_settles_8_hourly_before_2023_06_08(funding_sb):
    funding_sb.set_clock(dt.datetime(2023, 6, 9, tzinfo=dt.UTC))
    try:
        with httpx.Client(base_url=funding_sb.url, timeout=10) as c:
            rows = c.post("/hyperliquid/info", json={
                "type": "fundingHistory", "coin": "BTC", "startTime": 1686009600000,  # 2023-06-06 00:00
                "endTime": 1686196800000}).json()  # 2023-06-08 04:00
    finally:
        funding_sb.set_clock(RUN_AT)
    hours = [(r["time"] - 1686009600000) // MS_HOUR for r in rows]
    assert hours == [0, 8, 16, 24, 32, 40, 48, 49, 50, 51, 52]


def _land_recorded(data_dir, day: dt.date) -> list[dict]:
    """Land the recorded answer as the HTTP client would have landed it for `day`'s run."""
    body = (FIXTURES / "hyperliquid" / "fundingHistory_BTC_from_1681923833000.json").read_bytes()
    request = {"type": "fundingHistory", "coin": "BTC", "startTime": 1681923833000}
    Lander(data_dir, "hyperliquid", "funding_rates", day, "recorded").land(
        Exchange("POST", "https://api.hyperliquid.xyz/info", {}, request, 200, body, 1689630203.0, 0.2, 1))
    return json.loads(body)


@pytest.mark.slow  # a dbt build
def test_recorded_hyperliquid_history_gets_its_interval_and_rates(data_dir, dbt_target):
    day = dt.date(2023, 7, 17)  # the day of the recording
    recorded = _land_recorded(data_dir, day)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        _raw_tables(con)
        stats = load_files(con, "hyperliquid", _dataset("hyperliquid", "funding_rates"), day,
                           landed_files(data_dir, "hyperliquid", "funding_rates", day))
    assert (stats["records"], stats["loaded"], stats["quarantined"]) == (1038, 1038, 0) == (len(recorded), 1038, 0), stats

    dbt(data_dir, "build", "--select", FUNDING_MODELS, "--vars", json.dumps({"run_date": day.isoformat()}),
        target=dbt_target)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        by_interval = con.execute("""
            SELECT interval_hours, count(*), min(funding_time), max(funding_time)
            FROM marts.funding_rates WHERE exchange = 'hyperliquid' GROUP BY 1 ORDER BY 1""").fetchall()
        rates = dict(con.execute("""
            SELECT epoch_ms(funding_time), rate FROM marts.funding_rates WHERE exchange = 'hyperliquid'""").fetchall())
        daily = {d: (n, r) for d, n, r in con.execute("""
            SELECT date, observations, rate_8h FROM marts.funding_daily WHERE exchange = 'hyperliquid'""").fetchall()}
    eight = [r for r in recorded if r["time"] <= 1686182400254]
    assert by_interval == [
        (1.0, len(recorded) - len(eight), dt.datetime(2023, 6, 8, 1, 0, 0, 54000),
         dt.datetime(2023, 7, 17, 21, 0, 0, 65000)),
        (8.0, len(eight), dt.datetime(2023, 5, 12, 0, 0, 0, 48000), dt.datetime(2023, 6, 8, 0, 0, 0, 254000)),
    ]
    assert rates == {r["time"]: float(r["fundingRate"]) for r in recorded}
    # an 8-hourly day is its three settlements on an 8-hour basis as they are, not 8 times them
    may_13 = [float(r["fundingRate"]) for r in eight if dt.datetime.fromtimestamp(
        r["time"] / 1000, dt.UTC).date() == dt.date(2023, 5, 13)]
    assert daily[dt.date(2023, 5, 13)] == (3, pytest.approx(sum(may_13) / 3, abs=1e-12))
    # the day of the change: 00:00 settled 8 hours, 01:00 .. 23:00 hourly (×8 to the 8-hour basis)
    june_8 = [float(r["fundingRate"]) * (1 if r["time"] <= 1686182400254 else 8) for r in recorded
              if 1686182400000 <= r["time"] < 1686268800000]
    assert daily[dt.date(2023, 6, 8)] == (24, pytest.approx(sum(june_8) / 24, abs=1e-12))
