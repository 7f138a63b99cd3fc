"""Market dataset fetches against canned answers: error envelopes and empty days fail loudly, windows
cover a day without overlap, the option expiries hand-over is required."""
from __future__ import annotations

import datetime as dt
import logging

import pytest

from ingest.config import SourceConfig
from ingest.http import SourceError
from ingest.spec import FetchContext
from ingest.venues._history import windows
from ingest.venues.binance import markets as binance_markets
from ingest.venues.bybit import markets as bybit_markets
from ingest.venues.deribit import markets as deribit_markets
from ingest.venues.hyperliquid import markets as hyperliquid_markets
from ingest.venues.okx import markets as okx_markets

DAY = dt.date(2026, 11, 24)


class Canned:
    """Answers every request with the next canned body and records what was asked."""

    def __init__(self, *bodies):
        self.bodies = list(bodies)
        self.calls: list[tuple[str, dict]] = []

    def _next(self, path, params):
        self.calls.append((path, params))
        return self.bodies.pop(0) if len(self.bodies) > 1 else self.bodies[0]

    def get_json(self, path, params=None, *, base_url=None, ok_statuses=(200,)):
        return self._next(path, params or {})

    def post_json(self, path, body, *, base_url=None, ok_statuses=(200,)):
        return self._next(path, body)


def ctx(source: str, client: Canned, assets=("BTC",), handover: dict | None = None) -> FetchContext:
    cfg = SourceConfig(name=source, enabled=True, kind="venue", base_url="http://x", assets=tuple(assets),
                       requests_per_second=1000, extra={"options_base_url": "http://x-options"})
    return FetchContext(source=cfg, client=client, day=DAY, log=logging.getLogger("test"),
                        handover={} if handover is None else handover)


def test_windows_cover_the_range_once():
    got = list(windows(0, 100, 10, 3))  # points 0,10,..,100: three per window
    assert got == [(0, 20), (21, 41), (42, 62), (63, 83), (84, 100)]
    assert all(b < c for (_, b), (c, _) in zip(got, got[1:]))
    points = [p for lo, hi in got for p in range(0, 101, 10) if lo <= p <= hi]
    assert points == list(range(0, 101, 10))


@pytest.mark.parametrize("fetch, body, message", [
    (bybit_markets.fetch_open_interest, {"retCode": 10001, "retMsg": "params error", "result": {}}, "retCode=10001"),
    (okx_markets.fetch_open_interest, {"code": "51001", "msg": "Instrument ID does not exist", "data": []}, "51001"),
    (deribit_markets.fetch_tickers, {"jsonrpc": "2.0", "error": {"code": 10004, "message": "not found"}}, "not found"),
    (binance_markets.fetch_open_interest, {"code": -1121, "msg": "Invalid symbol."}, "-1121"),
])
def test_error_envelopes_raise(fetch, body, message):
    source = fetch.__module__.split(".")[-1].split("_")[0]
    with pytest.raises(SourceError, match=message):
        fetch(ctx(source, Canned(body)))


@pytest.mark.parametrize("fetch, source, body", [
    (binance_markets.fetch_open_interest, "binance", []),
    (bybit_markets.fetch_open_interest, "bybit", {"retCode": 0, "retMsg": "OK", "result": {"list": [], "nextPageCursor": ""}}),
    (okx_markets.fetch_open_interest, "okx", {"code": "0", "msg": "", "data": []}),
])
def test_a_day_without_points_is_an_outage(fetch, source, body):
    with pytest.raises(SourceError, match="no points"):
        fetch(ctx(source, Canned(body)))


def test_bybit_follows_the_cursor_and_refuses_a_repeated_one():
    page = lambda cursor: {"retCode": 0, "result": {"list": [{"openInterest": "2", "timestamp": "1"}],  # noqa: E731
                                                     "nextPageCursor": cursor}}
    client = Canned(page("c1"), page("c2"), page(""))
    bybit_markets.fetch_open_interest(ctx("bybit", client))
    assert [c[1].get("cursor") for c in client.calls] == [None, "c1", "c2"]
    with pytest.raises(SourceError, match="repeated its cursor"):
        bybit_markets.fetch_open_interest(ctx("bybit", Canned(page("same"))))


def test_binance_option_interest_needs_the_symbols_of_the_same_run():
    with pytest.raises(SourceError, match="option_symbols first"):
        binance_markets.fetch_option_open_interest(ctx("binance", Canned([])))
    info = {"optionSymbols": [{"symbol": "BTC-261127-95000-C", "underlying": "BTCUSDT", "expiryDate": 1795766400000},
                              {"symbol": "BTC-261204-95000-P", "underlying": "BTCUSDT", "expiryDate": 1796371200000},
                              {"symbol": "ETH-261127-3000-C", "underlying": "ETHUSDT", "expiryDate": 1795766400000}]}
    run: dict = {}  # the datasets of one run share their handover
    binance_markets.fetch_option_symbols(ctx("binance", Canned(info), handover=run))
    client = Canned([{"symbol": "BTC-261127-95000-C", "sumOpenInterest": "0"}])
    binance_markets.fetch_option_open_interest(ctx("binance", client, handover=run))
    assert [c[1] for c in client.calls] == [{"underlyingAsset": "BTC", "expiration": "261127"},
                                           {"underlyingAsset": "BTC", "expiration": "261204"}]
    # zero open interest is a value; an expiry answering no row at all is an outage
    with pytest.raises(SourceError, match="openInterest BTC expiry 261127 returned no points"):
        binance_markets.fetch_option_open_interest(ctx("binance", Canned([]), handover=run))
    # a later run does not inherit an earlier run's listing
    with pytest.raises(SourceError, match="option_symbols first"):
        binance_markets.fetch_option_open_interest(ctx("binance", Canned([])))


@pytest.mark.parametrize("fetch, source, body, what", [
    (binance_markets.fetch_option_symbols, "binance",
     {"optionSymbols": [{"symbol": "ETH-261127-3000-C", "underlying": "ETHUSDT", "expiryDate": 1795766400000}]},
     "exchangeInfo options of BTC"),
    (bybit_markets.fetch_option_instruments, "bybit",
     {"retCode": 0, "result": {"list": [], "nextPageCursor": ""}}, "instruments-info options of BTC"),
    (bybit_markets.fetch_option_tickers, "bybit", {"retCode": 0, "result": {"list": []}}, "tickers options of BTC"),
    (okx_markets.fetch_option_instruments, "okx", {"code": "0", "msg": "", "data": []}, "instruments OPTION BTC-USD"),
    (okx_markets.fetch_option_open_interest, "okx", {"code": "0", "msg": "", "data": []},
     "open-interest OPTION BTC-USD"),
    (deribit_markets.fetch_option_instruments, "deribit", {"jsonrpc": "2.0", "result": []},
     "get_instruments options of BTC"),
    (deribit_markets.fetch_option_book_summary, "deribit", {"jsonrpc": "2.0", "result": []},
     "get_book_summary_by_currency options of BTC"),
])
def test_an_empty_option_chain_is_an_outage(fetch, source, body, what):
    with pytest.raises(SourceError, match=f"{source}: .*{what} returned no points"):
        fetch(ctx(source, Canned(body)))


def test_hyperliquid_contexts_must_match_the_universe():
    meta = {"universe": [{"name": "BTC"}, {"name": "ETH"}]}
    with pytest.raises(SourceError, match="2 universe entries but 1"):
        hyperliquid_markets.fetch_asset_contexts(ctx("hyperliquid", Canned([meta, [{"openInterest": "1"}]])))
    with pytest.raises(SourceError, match="not in the perpetual universe"):
        hyperliquid_markets.fetch_asset_contexts(
            ctx("hyperliquid", Canned([{"universe": [{"name": "SOL"}]}, [{}]]), assets=("BTC",)))
