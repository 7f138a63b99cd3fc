"""Paging of the OKX and Deribit liquidation endpoints: every event of the day exactly once across pages.

The stub venues answer with the documented cursor semantics on a day whose events pile up in single
milliseconds across page boundaries (the case a naive `after = oldest` / `start = newest + 1` loses);
the sandbox runs check the real request path with small pages.
"""
from __future__ import annotations

import datetime as dt
import logging

import duckdb
import pytest

from ingest.config import SourceConfig
from ingest.http import SourceError
from ingest.run import ingest_source
from ingest.spec import FetchContext
from ingest.venues.deribit import trades as deribit_trades
from ingest.venues.okx import liquidations as okx_liquidations
from tests.liquidations._helpers import load

DAY = dt.date(2026, 11, 26)
START = int(dt.datetime(2026, 11, 26, tzinfo=dt.UTC).timestamp() * 1000)
END = START + 86_400_000


def day_stamps() -> list[int]:
    """250 events: bursts of 7 in one millisecond every ten minutes-ish, plus the day's edges."""
    stamps = [START, END - 1]
    for i in range(35):
        stamps += [START + 1_000 + i * 2_400_000] * 7
    return sorted(stamps + [START - 5, END + 5])  # one either side of the day


class StubOkx:
    """GET /api/v5/public/liquidation-orders: newest first, ts < after, `limit` details a page."""

    def __init__(self, stamps: list[int]):
        self.events = [{"ts": str(t), "sz": str(i + 1), "side": "sell", "posSide": "long", "bkPx": "100"}
                       for i, t in enumerate(stamps)]
        self.pages = 0

    def get_json(self, path, params=None, **_):
        assert path == "/api/v5/public/liquidation-orders" and params["state"] == "filled"
        self.pages += 1
        if params["instFamily"] != "BTC-USDT" or params["instType"] != "SWAP":
            return {"code": "0", "msg": "", "data": []}
        rows = [e for e in self.events if int(e["ts"]) < int(params["after"])]
        page = sorted(rows, key=lambda e: -int(e["ts"]))[: int(params["limit"])]
        self.seen = getattr(self, "seen", []) + page
        return {"code": "0", "msg": "", "data": [{"instId": "BTC-USDT-SWAP", "details": page}] if page else []}


class StubDeribit:
    """public/get_last_trades_by_currency_and_time: ascending, start/end inclusive, `count`, has_more."""

    def __init__(self, stamps: list[int]):
        self.trades = [{"trade_id": str(i), "timestamp": t} for i, t in enumerate(stamps)]
        self.pages = 0

    def get_json(self, path, params=None, **_):
        assert path == "/api/v2/public/get_last_trades_by_currency_and_time" and params["sorting"] == "asc"
        self.pages += 1
        rows = [t for t in self.trades if params["start_timestamp"] <= t["timestamp"] <= params["end_timestamp"]]
        if params["currency"] != "BTC":
            rows = []
        page = rows[: params["count"]]
        self.seen = getattr(self, "seen", []) + page
        return {"jsonrpc": "2.0", "result": {"trades": page, "has_more": len(rows) > params["count"]}}


def ctx(client, source: str, assets: tuple[str, ...] = ("BTC",)) -> FetchContext:
    cfg = SourceConfig(source, True, "venue", "http://stub", assets, 100.0)
    return FetchContext(source=cfg, client=client, day=DAY, log=logging.getLogger("test"))


def test_okx_pages_backwards_without_losing_same_millisecond_orders(monkeypatch):
    monkeypatch.setattr(okx_liquidations, "PAGE", 10)
    stub = StubOkx(day_stamps())
    c = ctx(stub, "okx")
    okx_liquidations.fetch_liquidations(c)
    in_day = {e["sz"] for e in stub.events if START <= int(e["ts"]) < END}
    got = {e["sz"] for e in stub.seen}
    assert in_day <= got  # every order of the day was answered at least once
    assert not got - {e["sz"] for e in stub.events if int(e["ts"]) >= START - 5}
    assert stub.pages > len(in_day) // 10  # it really paged
    assert "liquidations_ms_skipped" not in c.notes


def test_okx_page_of_one_millisecond_steps_past_it_and_says_so(monkeypatch):
    monkeypatch.setattr(okx_liquidations, "PAGE", 5)
    stub = StubOkx([START + 10] * 12)  # more orders in one millisecond than a page holds
    c = ctx(stub, "okx")
    okx_liquidations.fetch_liquidations(c)  # terminates
    assert c.notes["liquidations_ms_skipped"] == [START + 10]


def test_deribit_pages_forwards_without_losing_same_millisecond_trades(monkeypatch):
    monkeypatch.setattr(deribit_trades, "TRADES_PAGE", 10)
    stub = StubDeribit(day_stamps())
    deribit_trades.fetch_future_trades(ctx(stub, "deribit"))
    in_day = {t["trade_id"] for t in stub.trades if START <= t["timestamp"] < END}
    assert {t["trade_id"] for t in stub.seen} == in_day
    assert stub.pages > len(in_day) // 10


@pytest.mark.parametrize("venue", ["okx", "deribit"])
def test_a_silent_day_fails_instead_of_passing_for_calm(venue):
    """ETH answers nothing (an outage, or a day past what the venue keeps): no coverage for that day."""
    stub, fetch = (StubOkx(day_stamps()), okx_liquidations.fetch_liquidations) if venue == "okx" else \
        (StubDeribit(day_stamps()), deribit_trades.fetch_future_trades)
    with pytest.raises(SourceError, match="ETH"):
        fetch(ctx(stub, venue, ("BTC", "ETH")))
    assert len(stub.seen) >= sum(START <= t < END for t in day_stamps())  # BTC was still read in full


def market_events(venue: str) -> dict[str, list]:
    from sandbox.market import liquidations

    return {a: list(liquidations(7, venue, a, DAY)) for a in ("BTC", "ETH")}


def ingest_and_load(tmp_path, source: str, name: str) -> duckdb.DuckDBPyConnection:
    manifest = ingest_source(source, DAY, root=tmp_path, datasets=[name])
    assert manifest["datasets"][name]["status"] == "ok", manifest
    assert manifest["datasets"][name]["responses"] > 4  # several pages per asset
    con = duckdb.connect()
    load(con, tmp_path, source, name, DAY)
    return con


def test_okx_sandbox_every_order_of_the_day_once(sandbox, sandbox_sources, tmp_path, monkeypatch):
    # OKX keeps one day: the poll late in D reads its start, the run at D+1 00:30 its end
    monkeypatch.setattr(okx_liquidations, "PAGE", 37)
    sandbox.set_clock(dt.datetime(2026, 11, 26, 23, 50, tzinfo=dt.UTC))
    assert ingest_source("okx", DAY, root=tmp_path, datasets=["liquidations"])["datasets"]["liquidations"]["status"] == "ok"
    sandbox.set_clock(dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC))
    con = ingest_and_load(tmp_path, "okx", "liquidations")
    for asset, events in market_events("okx").items():
        got = con.execute("""SELECT ts_ms, side, sz, bk_px FROM raw.okx__liquidations
                             WHERE inst_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms, sz""",
                          [f"{asset}-USDT-SWAP", START, END]).fetchall()
        ct_val = 0.01 if asset == "BTC" else 0.1
        want = sorted((e.time_ms, "sell" if e.side == "long" else "buy", round(e.qty / ct_val, 8), e.price)
                      for e in events)
        assert [(t, s, round(z, 8), p) for t, s, z, p in got] == sorted(want, key=lambda w: (w[0], w[2]))


def test_deribit_sandbox_every_trade_of_the_day_once(sandbox, sandbox_sources, tmp_path, monkeypatch):
    sandbox.set_clock(dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC))
    monkeypatch.setattr(deribit_trades, "TRADES_PAGE", 97)
    con = ingest_and_load(tmp_path, "deribit", "future_trades")
    for asset, events in market_events("deribit").items():
        n, distinct, forced, lo, hi = con.execute("""
            SELECT count(*), count(DISTINCT trade_id), count(liquidation), min(timestamp_ms), max(timestamp_ms)
            FROM raw.deribit__future_trades WHERE currency = ?""", [asset]).fetchone()
        assert n == distinct and START <= lo and hi < END
        assert forced == len(events)
        got = sorted(con.execute("SELECT timestamp_ms FROM raw.deribit__future_trades WHERE currency = ? "
                                 "AND liquidation IS NOT NULL", [asset]).fetchall())
        assert [t for (t,) in got] == sorted(e.time_ms for e in events)
