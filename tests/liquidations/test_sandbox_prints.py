"""The sandbox prints each liquidation the same way on REST and on its websocket, as the venues do:
the same OKX order details and the same Deribit trade (id, price, amount, flags). The warehouse's
cross-channel de-duplication relies on it, so a drift between the two sandbox modules fails here."""
from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from sandbox.market import Market, liquidations

SEED = 7
DAY = dt.date(2026, 11, 26)
FIELDS = ("trade_id", "timestamp", "price", "amount", "direction", "liquidation", "instrument_name")


@pytest.mark.parametrize("asset", ["BTC", "ETH"])
def test_deribit_rest_and_stream_print_the_same_trade(asset):
    from sandbox.streams.deribit import DeribitStream
    from sandbox.venues.deribit import day_trades

    stream = DeribitStream(SimpleNamespace(market=Market(SEED)))
    events = liquidations(SEED, "deribit", asset, DAY)
    rest = [t for t in day_trades(SEED, asset, DAY) if "liquidation" in t]
    assert len(rest) == len(events)
    pushed = [stream.trade(e) for e in events]
    assert [{k: t[k] for k in FIELDS} for t in rest] == [{k: t[k] for k in FIELDS} for t in pushed]
    assert {t["liquidation"] for t in rest} == {"T", "M"}


@pytest.mark.parametrize("asset", ["BTC", "ETH"])
def test_okx_rest_and_stream_print_the_same_order(asset):
    from sandbox.streams.okx import OkxStream
    from sandbox.venues.okx import liquidation_detail

    stream = OkxStream(SimpleNamespace(market=Market(SEED)))
    stream.args = {"swap": {"channel": "liquidation-orders", "instType": "SWAP"}}
    events = list(liquidations(SEED, "okx", asset, DAY))
    pushed = [d for msg in stream.render(events) for inst in json.loads(msg)["data"] for d in inst["details"]]

    def key(d: dict) -> tuple:
        return int(d["ts"]), d["side"], d["posSide"], float(d["sz"]), float(d["bkPx"])

    assert sorted(map(key, pushed)) == sorted(key(liquidation_detail(e)) for e in events)
