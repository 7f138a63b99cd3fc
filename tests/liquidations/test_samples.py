"""Real-format liquidation messages of every venue through the loader and the staging SQL: side, size, USD.

The messages are tardis-node's raw samples (vendored: tests/fixtures/tardis-node). OKX and Deribit print the
same objects over REST and websocket, so their messages go through the REST dataset specs too (OKX's
`data[].details` as is, Deribit's trades inside a REST `result.trades` envelope). The websocket-only venues
go through the collector's `liquidations_ws` specs and staging views once those exist.
"""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.liquidations._helpers import DBT_DIR, dbt, land, load, ws_dataset, ws_land

pytestmark = pytest.mark.slow  # one dbt run
SAMPLE_FILE = FIXTURES / "tardis-node" / "liquidation_raw_ws_samples.json"
DAY = dt.date(2023, 3, 30)


def samples() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for s in json.loads(SAMPLE_FILE.read_text())["samples"]:
        out.setdefault(s["exchange"].split()[0].split("-")[0], []).append(s["message"])
    # what the collector lands as liquidations: Bybit's v5 allLiquidation topic (not the retired v2
    # `liquidation`), BitMEX inserts (updates and deletes of the order go to its control file)
    out["bybit"] = [m for m in out["bybit"] if m["topic"].startswith("allLiquidation.")]
    out["bitmex"] = [m for m in out["bitmex"] if m["action"] == "insert"]
    # tardis recorded Binance's combined stream ({"stream", "data"}); the collector's raw /ws stream sends `data`
    out["binance"] = [m.get("data", m) for m in out["binance"]]
    out["okx"] = out.pop("okex")  # tardis names OKX by its old name
    return out


# OKX lists XRP-USD futures as inverse contracts of 10 USD (the instruments list's shape, ctVal/ctValCcy).
XRP_FUTURE = {"instId": "XRP-USD-230929", "instType": "FUTURES", "instFamily": "XRP-USD", "uly": "XRP-USD",
              "ctVal": "10", "ctMult": "1", "ctValCcy": "USD", "ctType": "inverse", "settleCcy": "XRP",
              "expTime": "1695974400000", "state": "live"}

# venue -> staging view, and per sample row: (side, price, quantity, notional_usd)
WS_VIEWS = {
    "binance": ("stg_binance__liquidations_ws", [("short", None, 0.014, None)]),
    "bybit": ("stg_bybit__liquidations_ws", [("short", 0.02456, 2846.0, 2846 * 0.02456)]),
    # XBTUSD is inverse: 9214 contracts of 1 USD; the `delete` message only removes the order from the table
    "bitmex": ("stg_bitmex__liquidations_ws", [("short", 10106.0, 9214 / 10106, 9214.0)]),
    # the two-channel venues: the same objects must come out of the websocket views as out of REST
    "okx": ("stg_okx__liquidations_ws", [("short", 0.55205, 390 / 0.55205, 390.0)]),
    "deribit": ("stg_deribit__liquidations_ws", [("long", 4469.5, 1120 / 4469.5, 1120.0),
                                                  ("long", 4458.5, 2500 / 4458.5, 2500.0)]),
}


@pytest.fixture(scope="module")
def staged(tmp_path_factory, dbt_target):
    """Land the samples, load them with the datasets' own specs, build the staging views; yield the DB."""
    msgs = samples()
    data = tmp_path_factory.mktemp("samples") / "data"
    data.mkdir()
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    for m in msgs["okx"]:
        land(data, "okx", "liquidations", DAY, m, {"instType": "FUTURES", "instFamily": "XRP-USD"})
    land(data, "okx", "instruments", DAY, {"code": "0", "msg": "", "data": [XRP_FUTURE]}, {"instType": "FUTURES"})
    trades = [t for m in msgs["deribit"] for t in m["params"]["data"]]
    land(data, "deribit", "future_trades", DAY, {"jsonrpc": "2.0", "result": {"trades": trades, "has_more": False}},
         {"currency": "BTC", "kind": "future"})
    for source, name in (("okx", "liquidations"), ("okx", "instruments"), ("deribit", "future_trades")):
        stats = load(con, data, source, name, DAY)
        assert stats["quarantined"] == 0, stats
    views = ["stg_okx__liquidations", "stg_deribit__liquidations"]
    for venue, (view, _) in WS_VIEWS.items():
        # every websocket venue has its dataset and staging view: a missing one fails here, never skips
        spec = ws_dataset(venue)
        assert spec is not None, f"{venue}: no liquidations_ws dataset"
        assert list(DBT_DIR.glob(f"models/staging/*/{view}.sql")), f"{venue}: no staging view {view}"
        stats = ws_land(con, data, venue, spec, msgs[venue], DAY)
        assert stats["quarantined"] == 0, stats
        views.append(view)
    con.close()
    dbt(data, "run", "--select", *views, target=dbt_target)
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    yield con, set(views)
    con.close()


def rows(con, view: str) -> list[tuple]:
    return con.execute(f"""SELECT side, price, quantity, notional_usd, liquidated_at, liquidation_id, channel, asset
                           FROM staging.{view} ORDER BY liquidated_at, liquidation_id""").fetchall()


def test_okx_order_side_sell_is_a_long_and_inverse_contracts_are_dollars(staged):
    con, _ = staged
    # details: side buy / posSide short, 39 contracts of 10 USD at bankruptcy price 0.55205
    [(side, price, qty, usd, at, lid, channel, asset)] = rows(con, "stg_okx__liquidations")
    assert side == "short" and price == pytest.approx(0.55205)
    assert usd == pytest.approx(390.0) and qty == pytest.approx(390.0 / 0.55205)
    assert at == dt.datetime(2023, 3, 30, 10, 47, 27, 614000)
    assert lid and channel == "rest" and asset is None  # XRP is not a tracked asset: staged, not counted


def test_deribit_taker_sell_and_maker_buy_are_longs_in_usd_amounts(staged):
    con, _ = staged
    got = rows(con, "stg_deribit__liquidations")
    assert [(r[5], r[0]) for r in got] == [("66460463", "long"), ("66460626", "long")]
    (_, p1, q1, u1, *_), (_, p2, q2, u2, *_) = got
    assert (p1, u1, q1) == (4469.5, 1120.0, pytest.approx(1120 / 4469.5))
    assert (p2, u2, q2) == (4458.5, 2500.0, pytest.approx(2500 / 4458.5))
    assert all(r[7] == "BTC" and r[6] == "rest" for r in got)


@pytest.mark.parametrize("venue", sorted(WS_VIEWS))
def test_websocket_venue_sides_and_sizes(staged, venue):
    con, views = staged
    view, expected = WS_VIEWS[venue]
    assert view in views, f"{venue}: {view} was not built"
    got = rows(con, view)
    assert len(got) == len(expected), got
    for (side, price, qty, usd, at, lid, channel, _), (e_side, e_price, e_qty, e_usd) in zip(got, expected):
        assert side == e_side and channel == "websocket" and lid and at is not None
        assert qty == pytest.approx(e_qty)
        if e_price is not None:
            assert price == pytest.approx(e_price)
        assert usd == pytest.approx(e_usd if e_usd is not None else qty * price)
