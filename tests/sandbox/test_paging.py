"""Paging the way each venue's docs say returns every funding event exactly once, and nothing after the clock."""
from __future__ import annotations

import datetime as dt

import pytest

from sandbox import market
from sandbox.market import MS_DAY, funding_times
from tests.sandbox._helpers import DAY_END, DAY_START

START = DAY_START - 3 * MS_DAY  # four days: 2026-11-23 .. 2026-11-26
END = DAY_END - 1


def _expect(venue: str, asset: str) -> list[int]:
    return funding_times(venue, asset, START, END)


def _once(times: list[int], expected: list[int]) -> None:
    assert len(times) == len(set(times)), "an event came twice"
    assert sorted(times) == expected


def test_binance_pages_forward_by_start_time(client):
    times, start = [], START
    while True:
        rows = client.get("/binance/fapi/v1/fundingRate", params={
            "symbol": "ETHUSDT", "startTime": start, "endTime": END, "limit": 5}).json()
        times += [r["fundingTime"] for r in rows]
        if len(rows) < 5:
            break
        start = rows[-1]["fundingTime"] + 1
    _once(times, _expect("binance", "ETH"))


def test_bybit_pages_backward_by_end_time(client):
    times, end = [], END
    while True:
        rows = client.get("/bybit/v5/market/funding/history", params={
            "category": "linear", "symbol": "BTCUSDT", "startTime": START, "endTime": end, "limit": 5,
        }).json()["result"]["list"]
        times += [int(r["fundingRateTimestamp"]) for r in rows]
        if len(rows) < 5:
            break
        end = int(rows[-1]["fundingRateTimestamp"]) - 1
    _once(times, _expect("bybit", "BTC"))


def test_okx_pages_backward_with_after(client):
    times, after = [], END + 1
    while True:
        rows = client.get("/okx/api/v5/public/funding-rate-history", params={
            "instId": "BTC-USDT-SWAP", "after": after, "limit": 4}).json()["data"]
        times += [int(r["fundingTime"]) for r in rows if START <= int(r["fundingTime"]) <= END]
        if not rows or int(rows[-1]["fundingTime"]) <= START:
            break
        after = int(rows[-1]["fundingTime"])
    _once(times, _expect("okx", "BTC"))


def test_okx_before_and_after_bound_a_window(client):
    rows = client.get("/okx/api/v5/public/funding-rate-history", params={
        "instId": "ETH-USDT-SWAP", "before": START, "after": END}).json()["data"]
    assert sorted(int(r["fundingTime"]) for r in rows) == [t for t in _expect("okx", "ETH") if START < t < END]


def test_bitmex_pages_by_offset(client):
    times, offset = [], 0
    while True:
        rows = client.get("/bitmex/api/v1/funding", params={
            "symbol": "ETHUSD", "startTime": "2026-11-23T00:00:00Z", "endTime": "2026-11-26T23:59:59.999Z",
            "count": 5, "start": offset}).json()
        times += [market.to_ms(market.parse_time(r["timestamp"])) for r in rows]
        if len(rows) < 5:
            break
        offset += len(rows)
    _once(times, _expect("bitmex", "ETH"))


def test_hyperliquid_pages_by_last_time_plus_one(client):
    start = DAY_START - 24 * MS_DAY  # 25 days of hourly rows: more than one 500-row answer
    times, cursor, answers = [], start, 0
    while True:
        rows = client.post("/hyperliquid/info", json={
            "type": "fundingHistory", "coin": "ETH", "startTime": cursor, "endTime": END}).json()
        answers += 1
        times += [r["time"] for r in rows]
        if len(rows) < 500:
            break
        cursor = rows[-1]["time"] + 1
    assert answers == 2
    _once(times, funding_times("hyperliquid", "ETH", start, END))


def test_deribit_range_is_hourly(client):
    rows = client.get("/deribit/api/v2/public/get_funding_rate_history", params={
        "instrument_name": "ETH-PERPETUAL", "start_timestamp": START, "end_timestamp": END}).json()["result"]
    # start_timestamp is exclusive (the docs' example: start 00:00, end 04:00 answers 01:00 .. 04:00)
    _once([r["timestamp"] for r in rows], funding_times("deribit", "ETH", START + 1, END))


CLOCK = dt.datetime(2026, 11, 20, 13, 30, tzinfo=dt.UTC)
FAR = market.to_ms(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))


@pytest.mark.parametrize("venue,call", [
    ("binance", lambda c: [r["fundingTime"] for r in c.get("/binance/fapi/v1/fundingRate", params={
        "symbol": "BTCUSDT", "startTime": START - 10 * MS_DAY, "endTime": FAR, "limit": 1000}).json()]),
    ("binance-latest", lambda c: [r["fundingTime"] for r in c.get("/binance/fapi/v1/fundingRate", params={
        "symbol": "BTCUSDT"}).json()]),
    ("bybit", lambda c: [int(r["fundingRateTimestamp"]) for r in c.get("/bybit/v5/market/funding/history", params={
        "category": "linear", "symbol": "ETHUSDT", "endTime": FAR}).json()["result"]["list"]]),
    ("okx", lambda c: [int(r["fundingTime"]) for r in c.get("/okx/api/v5/public/funding-rate-history", params={
        "instId": "BTC-USDT-SWAP"}).json()["data"]]),
    ("deribit", lambda c: [r["timestamp"] for r in c.get("/deribit/api/v2/public/get_funding_rate_history", params={
        "instrument_name": "BTC-PERPETUAL", "start_timestamp": START - 10 * MS_DAY, "end_timestamp": FAR}).json()["result"]]),
    ("bitmex", lambda c: [market.to_ms(market.parse_time(r["timestamp"])) for r in c.get("/bitmex/api/v1/funding", params={
        "symbol": "XBTUSD", "reverse": "true", "count": 500}).json()]),
    ("hyperliquid", lambda c: [r["time"] for r in c.post("/hyperliquid/info", json={
        "type": "fundingHistory", "coin": "BTC", "startTime": market.to_ms(CLOCK) - 400 * 3_600_000}).json()]),
])
def test_nothing_after_the_clock(client, sb, venue, call):
    sb.set_clock(CLOCK)
    times = call(client)
    assert times, "some history is visible"
    assert max(times) <= market.to_ms(CLOCK)
    assert max(times) >= market.to_ms(CLOCK) - 8 * 3_600_000, "the latest settled event is included"


def test_snapshot_instruments_respect_the_clock(client, sb):
    sb.set_clock(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC))  # after the Friday expiry
    names = [i["instrument_name"] for i in client.get("/deribit/api/v2/public/get_instruments", params={
        "currency": "BTC", "kind": "option"}).json()["result"]]
    assert names and not any("-27NOV26-" in n for n in names)
    sb.set_clock(dt.datetime(2026, 11, 27, 7, 59, tzinfo=dt.UTC))
    names = [i["instrument_name"] for i in client.get("/deribit/api/v2/public/get_instruments", params={
        "currency": "BTC", "kind": "option"}).json()["result"]]
    assert any("-27NOV26-" in n for n in names)
