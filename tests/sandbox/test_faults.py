"""Every fault kind is observable on the wire, in each venue's own shapes; control API and rate limits."""
from __future__ import annotations

import datetime as dt
import json
import time

import httpx
import pytest

from sandbox.market import to_ms
from sandbox.server import SandboxServer
from tests.sandbox._helpers import DAY_END, DAY_START

# one funding request per venue: (method, path, params-or-body, path to the records)
REQUESTS = {
    "binance": ("GET", "/binance/fapi/v1/fundingRate",
                {"symbol": "BTCUSDT", "startTime": DAY_START, "endTime": DAY_END - 1}, lambda b: b),
    "bybit": ("GET", "/bybit/v5/market/funding/history",
              {"category": "linear", "symbol": "BTCUSDT", "startTime": DAY_START, "endTime": DAY_END - 1},
              lambda b: b["result"]["list"]),
    "okx": ("GET", "/okx/api/v5/public/funding-rate-history", {"instId": "BTC-USDT-SWAP", "limit": 3},
            lambda b: b["data"]),
    "deribit": ("GET", "/deribit/api/v2/public/get_funding_rate_history",
                {"instrument_name": "BTC-PERPETUAL", "start_timestamp": DAY_START, "end_timestamp": DAY_END - 1},
                lambda b: b["result"]),
    "bitmex": ("GET", "/bitmex/api/v1/funding", {"symbol": "XBTUSD", "reverse": "true", "count": 3}, lambda b: b),
    "hyperliquid": ("POST", "/hyperliquid/info",
                    {"type": "fundingHistory", "coin": "BTC", "startTime": DAY_START, "endTime": DAY_END - 1},
                    lambda b: b),
}
RATE_FIELD = {"binance": "fundingRate", "bybit": "fundingRate", "okx": "fundingRate", "deribit": "index_price",
              "bitmex": "fundingRate", "hyperliquid": "fundingRate"}


def call(client: httpx.Client, venue: str, **override) -> httpx.Response:
    method, path, params, _ = REQUESTS[venue]
    params = {**params, **override}
    if method == "POST":
        return client.post(path, json=params)
    return client.get(path, params=params)


def records(venue: str, response: httpx.Response) -> list[dict]:
    return REQUESTS[venue][3](response.json())


VENUES = list(REQUESTS)


@pytest.mark.parametrize("venue", VENUES)
def test_http_429_has_retry_after_and_venue_shape(client, sb, venue):
    sb.add_fault(venue, "http_429", retry_after=3)
    r = call(client, venue)
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"
    body = r.json()
    if venue == "binance":
        assert body["code"] == -1003
    elif venue == "bybit":
        assert body["retCode"] == 10006 and body["retMsg"] == "Too many visits!"
    elif venue == "okx":
        assert body["code"] == "50011"
    elif venue == "deribit":
        assert body["error"]["code"] == 10028 and body["error"]["message"] == "too_many_requests"
    elif venue == "bitmex":
        assert set(body["error"]) == {"message", "name"} and r.headers["x-ratelimit-remaining"] == "0"
    assert call(client, venue).status_code == 200, "count=1: the next request is served"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_5xx(client, sb, status):
    sb.add_fault("okx", "http_500", status=status)
    r = call(client, "okx")
    assert r.status_code == status
    if status == 500:
        assert r.json()["code"] == "50001"
    else:
        assert r.headers["content-type"].startswith("text/html")


def test_timeout_delays_the_answer(client, sb):
    sb.add_fault("deribit", "timeout", seconds=0.6)
    t = time.monotonic()
    assert call(client, "deribit").status_code == 200
    assert time.monotonic() - t >= 0.55
    with httpx.Client(base_url=sb.url, timeout=0.2) as impatient:
        sb.add_fault("deribit", "timeout", seconds=0.6)
        with pytest.raises(httpx.TimeoutException):
            call(impatient, "deribit")


def test_reset_drops_the_connection_mid_body(client, sb):
    sb.add_fault("bitmex", "reset")
    with pytest.raises(httpx.RemoteProtocolError):
        call(client, "bitmex")
    assert call(client, "bitmex").status_code == 200, "the server survives"


@pytest.mark.parametrize("venue", ["binance", "hyperliquid"])
def test_truncated_and_invalid_json(client, sb, venue):
    full = call(client, venue).content
    sb.add_fault(venue, "truncated")
    cut = call(client, venue)
    assert cut.status_code == 200 and cut.content == full[: len(full) // 2]
    sb.add_fault(venue, "invalid_json")
    bad = call(client, venue)
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad.content)


@pytest.mark.parametrize("venue", VENUES)
def test_schema_drift(client, sb, venue):
    field = RATE_FIELD[venue]
    sb.add_fault(venue, "drift_rename")
    renamed = records(venue, call(client, venue))
    assert renamed and all(field not in r for r in renamed)
    assert all(set(r) - {"funding_rate", "indexPrice"} for r in renamed)
    assert any(k in renamed[0] for k in ("funding_rate", "indexPrice"))
    sb.add_fault(venue, "drift_missing")
    assert all(field not in r for r in records(venue, call(client, venue)))
    sb.add_fault(venue, "drift_new_field")
    assert all(r["newField"] == "1" for r in records(venue, call(client, venue)))


@pytest.mark.parametrize("venue", VENUES)
def test_empty_page_keeps_the_envelope(client, sb, venue):
    normal = call(client, venue).json()
    sb.add_fault(venue, "empty_page")
    r = call(client, venue)
    assert r.status_code == 200 and records(venue, r) == []
    if isinstance(normal, dict):
        assert set(r.json()) == set(normal)


def test_repeat_page_answers_the_previous_page(client, sb):
    first = call(client, "bybit", endTime=DAY_END - 1, limit=2)
    sb.add_fault("bybit", "repeat_page")
    second = call(client, "bybit", endTime=DAY_START, limit=2)
    assert second.content == first.content
    third = call(client, "bybit", endTime=DAY_START, limit=2)
    assert third.content != first.content


def test_absurd_values(client, sb):
    normal = records("okx", call(client, "okx"))
    sb.add_fault("okx", "absurd")
    crazy = records("okx", call(client, "okx"))
    for a, b in zip(normal, crazy):
        assert float(b["fundingRate"]) == pytest.approx(float(a["fundingRate"]) * 1000)
        assert b["fundingTime"] == a["fundingTime"], "times are left alone"


def test_fault_count_path_filter_and_control_api(client, sb):
    f = sb.add_fault("binance", "http_500", count=2, path="symbol=ETHUSDT")
    assert f["remaining"] == 2
    assert call(client, "binance").status_code == 200, "other symbols pass"
    assert call(client, "binance", symbol="ETHUSDT").status_code == 500
    listed = client.get("/_sandbox/faults").json()["faults"]
    assert listed[0]["remaining"] == 1 and listed[0]["hits"] == 1
    assert call(client, "binance", symbol="ETHUSDT").status_code == 500
    assert call(client, "binance", symbol="ETHUSDT").status_code == 200
    sb.add_fault("okx", "http_500", count=-1)
    for _ in range(3):
        assert call(client, "okx").status_code == 500
    assert client.delete("/_sandbox/faults", params={"venue": "okx"}).json() == {"removed": 1}
    assert call(client, "okx").status_code == 200
    assert client.post("/_sandbox/faults", json={"venue": "okx", "kind": "nope"}).status_code == 400
    assert client.post("/_sandbox/faults", json={"venue": "kraken", "kind": "http_500"}).status_code == 400
    assert client.get("/binance-options/eapi/v1/ping").json() == {}


def test_clock_control(client, sb):
    r = client.post("/_sandbox/clock", json={"now": "2026-11-20T08:00:00+00:00"})
    assert r.json()["now"] == "2026-11-20T08:00:00Z"
    eight = to_ms(dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC))
    rows = call(client, "okx").json()["data"]
    assert rows[0]["fundingTime"] == str(eight), "the 08:00 event has just settled"
    client.post("/_sandbox/clock", json={"advance_seconds": 3600})
    assert client.get("/_sandbox/clock").json()["now_ms"] == eight + 3_600_000
    health = client.get("/_sandbox/health").json()
    assert health["status"] == "ok" and "hyperliquid" in health["venues"]


def test_rate_limit_answers_429_with_retry_after():
    with SandboxServer(rate_limit_scale=0.04) as server, httpx.Client(base_url=server.url) as c:  # 2 req/s
        statuses = [call(c, "bybit").status_code for _ in range(6)]
        assert 429 in statuses and statuses[0] == 200
        r = call(c, "bybit")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and r.json()["retCode"] == 10006
        assert call(c, "okx").status_code == 200, "limits are per venue"
        c.post("/_sandbox/ratelimit", json={"scale": 0})
        assert all(call(c, "bybit").status_code == 200 for _ in range(10))
