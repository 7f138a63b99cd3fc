"""The vendored REST payloads (tests/fixtures/nautilus_trader: the venues' documented examples) through the real
path: landed as the HTTP client lands a response, loaded with the datasets' own specs, staged by dbt. The
figures that come out are the ones the payloads state, in the warehouse's units; a payload that lost a
required field is quarantined with its reason instead of loading as a null."""
from __future__ import annotations

import copy
import datetime as dt
import json

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.liquidations._helpers import dbt, land, load

pytestmark = pytest.mark.slow  # one dbt run
NAUTILUS = FIXTURES / "nautilus_trader"
DAY = dt.date(2024, 3, 8)
FUNDING_VIEWS = ["stg_bybit__funding_rates", "stg_okx__funding_rates", "stg_hyperliquid__funding_rates"]


def fixture(name: str):
    return json.loads((NAUTILUS / name).read_text())


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    data = tmp_path_factory.mktemp("replay") / "data"
    data.mkdir()
    landed = {
        ("bybit", "funding_rates"): (fixture("bybit__http_get_funding_history.json"),
                                     {"category": "linear", "symbol": "BTCUSDT"}),
        ("okx", "funding_rates"): (fixture("okx__http_get_funding_rate_history.json"), {"instId": "BTC-USDT-SWAP"}),
        ("hyperliquid", "funding_rates"): (fixture("hyperliquid__http_funding_history.json"), {}),
        ("okx", "option_instruments"): (fixture("okx__http_get_instruments_option.json"),
                                        {"instType": "OPTION", "instFamily": "BTC-USD"}),
        ("deribit", "option_instruments"): (fixture("deribit__http_get_instrument_option.json"),
                                            {"currency": "BTC", "kind": "option"}),
    }
    stats = {}
    with duckdb.connect(str(data / "warehouse.duckdb")) as con:
        for (source, name), (body, params) in landed.items():
            land(data, source, name, DAY, body, params)
            stats[(source, name)] = load(con, data, source, name, DAY)
    dbt(data, "run", "--select", *FUNDING_VIEWS)
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    yield con, stats
    con.close()


def test_every_fixture_record_loads_and_none_is_quarantined(warehouse):
    _, stats = warehouse
    expected = {("bybit", "funding_rates"): 2, ("okx", "funding_rates"): 2, ("hyperliquid", "funding_rates"): 3,
                ("okx", "option_instruments"): len(fixture("okx__http_get_instruments_option.json")["data"]),
                ("deribit", "option_instruments"): 1}
    for key, n in expected.items():
        assert (stats[key]["loaded"], stats[key]["quarantined"]) == (n, 0), (key, stats[key])


def rows(con, view):
    return con.execute(f"SELECT symbol, asset, funding_time, rate, interval_hours FROM staging.{view} "
                       "ORDER BY funding_time").fetchall()


def test_bybit_funding_history_stages_as_the_payload_says(warehouse):
    con, _ = warehouse
    assert rows(con, "stg_bybit__funding_rates") == [
        ("BTCUSDT", "BTC", dt.datetime(2024, 3, 8, 0), 0.00015, 8),  # no instruments landed: the 8-hour default
        ("BTCUSDT", "BTC", dt.datetime(2024, 3, 8, 8), 0.0001, 8),
    ]


def test_okx_funding_history_derives_its_interval_from_the_spacing(warehouse):
    con, _ = warehouse
    got = rows(con, "stg_okx__funding_rates")
    assert [(r[0], r[1], r[2], r[4]) for r in got] == [
        ("BTC-USDT-SWAP", "BTC", dt.datetime(2023, 12, 31, 16), 8),
        ("BTC-USDT-SWAP", "BTC", dt.datetime(2024, 1, 1, 0), 8),  # 8 hours after the previous settlement
    ]
    assert [r[3] for r in got] == [pytest.approx(-0.0000236017), pytest.approx(0.0001515032)]


def test_hyperliquid_funding_history_is_hourly_and_a_missing_premium_stays_null(warehouse):
    con, _ = warehouse
    got = con.execute("SELECT funding_time, rate, interval_hours, premium FROM staging.stg_hyperliquid__funding_rates "
                      "ORDER BY funding_time").fetchall()
    start = dt.datetime(2026, 2, 1, 1, 20)  # 1769908800000 ms: the payload's own times, an hour apart
    assert [r[0] for r in got] == [start + dt.timedelta(hours=h) for h in range(3)]
    assert [r[1] for r in got] == [pytest.approx(0.0000125), pytest.approx(-0.0000081), pytest.approx(0.0000033)]
    assert [r[2] for r in got] == [1, 1, 1]
    assert got[2][3] is None and got[0][3] == pytest.approx(0.00029005)


def test_option_listings_keep_strike_expiry_and_contract_size(warehouse):
    con, _ = warehouse
    okx = dict(con.execute("SELECT inst_id, strike FROM raw.okx__option_instruments").fetchall())
    assert okx["BTC-USD-241217-92000-C"] == 92000.0
    (name, strike, kind, expiry, size), = con.execute(
        "SELECT instrument_name, strike, option_type, expiration_ms, contract_size FROM raw.deribit__option_instruments"
    ).fetchall()
    assert (name, strike, kind, expiry, size) == ("BTC-27DEC24-100000-C", 100000.0, "call", 1735300800000, 1.0)


def test_a_payload_that_lost_a_required_field_is_quarantined_with_its_reason(tmp_path):
    body = copy.deepcopy(fixture("hyperliquid__http_funding_history.json"))
    del body[1]["fundingRate"]
    data = tmp_path / "data"
    data.mkdir()
    land(data, "hyperliquid", "funding_rates", DAY, body)
    with duckdb.connect(str(data / "warehouse.duckdb")) as con:
        stats = load(con, data, "hyperliquid", "funding_rates", DAY)
        assert (stats["loaded"], stats["quarantined"]) == (2, 1)
        (index, reason), = con.execute("SELECT record_index, reason FROM raw.quarantine").fetchall()
    assert index == 2 and "funding_rate" in reason  # the loader counts records from 1
