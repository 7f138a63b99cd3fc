"""The sandbox's Coinalyze and CoinGlass: real paths and envelopes, sums of the same simulated market as the
venues, a key required, and a switch that makes one of them diverge."""
from __future__ import annotations

import datetime as dt

import httpx
import pytest

from sandbox import market as mk
from sandbox.market import MS_DAY, day_start_ms

DAY = dt.date(2026, 11, 26)
START = day_start_ms(DAY)
CZ = {"api_key": "test-placeholder"}
CG = {"CG-API-KEY": "test-placeholder"}


@pytest.fixture()
def client(sb):
    sb.clear_faults()
    with httpx.Client(base_url=sb.url, timeout=30) as c:
        c.delete("/_sandbox/aggregators")
        yield c
        c.delete("/_sandbox/aggregators")
    sb.clear_faults()


def coinalyze_perps(client) -> dict[str, tuple[str, str]]:
    names = {e["code"]: e["name"].lower() for e in client.get("/coinalyze/v1/exchanges", headers=CZ).json()}
    out = {}
    for m in client.get("/coinalyze/v1/future-markets", headers=CZ).json():
        venue = names.get(m["exchange"])
        if m["is_perpetual"] and venue in mk.PERP_SYMBOLS and m["symbol_on_exchange"] == mk.perp_symbol(venue, m["base_asset"]):
            out[m["symbol"]] = (venue, m["base_asset"])
    return out


def test_both_refuse_a_request_without_key(client):
    assert client.get("/coinalyze/v1/future-markets").status_code == 401
    r = client.get("/coinglass/api/futures/open-interest/aggregated-history", params={"symbol": "BTC", "interval": "1d"})
    assert r.status_code == 401 and r.json()["code"] != "0"


def test_coinalyze_lists_every_venue_perpetual_once(client):
    perps = coinalyze_perps(client)
    assert sorted(perps.values()) == sorted((v, a) for v in mk.PERP_VENUES for a in mk.ASSETS)


def test_coinalyze_liquidations_are_the_venues_events(client):
    perps = coinalyze_perps(client)
    body = client.get("/coinalyze/v1/liquidation-history", headers=CZ, params={
        "symbols": ",".join(perps), "interval": "daily", "from": START // 1000, "to": (START + MS_DAY) // 1000 - 1,
        "convert_to_usd": "true"}).json()
    assert {item["symbol"] for item in body} == set(perps)
    for item in body:
        venue, asset = perps[item["symbol"]]
        [candle] = item["history"]
        assert candle["t"] == START // 1000
        events = mk.liquidations(7, venue, asset, DAY)
        assert candle["l"] == pytest.approx(sum(e.usd for e in events if e.side == "long"), rel=1e-9, abs=1e-6)
        assert candle["s"] == pytest.approx(sum(e.usd for e in events if e.side == "short"), rel=1e-9, abs=1e-6)


def test_coinalyze_open_interest_closes_on_the_state_at_midnight(client):
    perps = coinalyze_perps(client)
    symbol = next(s for s, va in perps.items() if va == ("okx", "BTC"))
    [item] = client.get("/coinalyze/v1/open-interest-history", headers=CZ, params={
        "symbols": symbol, "interval": "daily", "from": START // 1000, "to": START // 1000, "convert_to_usd": "true"}).json()
    close_ms = START + MS_DAY
    expected = mk.open_interest(7, "okx", "BTC", close_ms) * mk.index_price(7, "BTC", close_ms)
    assert item["history"][0]["c"] == pytest.approx(expected, rel=1e-9)


def test_coinalyze_rejects_a_bad_interval_and_too_many_symbols(client):
    assert client.get("/coinalyze/v1/liquidation-history", headers=CZ, params={
        "symbols": "BTCUSDT_PERP.A", "interval": "2days", "from": 1, "to": 2}).status_code == 400
    assert client.get("/coinalyze/v1/liquidation-history", headers=CZ, params={
        "symbols": ",".join(["BTCUSDT_PERP.A"] * 21), "interval": "daily", "from": 1, "to": 2}).status_code == 400


def test_coinglass_liquidations_sum_the_listed_exchanges(client):
    body = client.get("/coinglass/api/futures/liquidation/aggregated-history", headers=CG, params={
        "exchange_list": "Binance,OKX", "symbol": "ETH", "interval": "1d", "start_time": START,
        "end_time": START + MS_DAY - 1}).json()
    assert body["code"] == "0"
    [row] = body["data"]
    events = [e for v in ("binance", "okx") for e in mk.liquidations(7, v, "ETH", DAY)]
    assert row["time"] == START
    assert row["aggregated_long_liquidation_usd"] == pytest.approx(sum(e.usd for e in events if e.side == "long"), rel=1e-9)
    assert row["aggregated_short_liquidation_usd"] == pytest.approx(sum(e.usd for e in events if e.side == "short"), rel=1e-9)


def test_coinglass_bad_parameter_is_an_error_envelope(client):
    body = client.get("/coinglass/api/futures/open-interest/aggregated-history", headers=CG,
                      params={"symbol": "BTC", "interval": "2d"}).json()
    assert body["code"] != "0" and body["msg"]


def test_diverge_scales_one_aggregator_and_resets(client):
    params = {"symbol": "BTC", "interval": "1d", "start_time": START, "end_time": START + MS_DAY - 1, "unit": "usd"}
    path = "/coinglass/api/futures/open-interest/aggregated-history"
    base = float(client.get(path, headers=CG, params=params).json()["data"][0]["close"])
    assert client.post("/_sandbox/aggregators", json={"coinglass": {"diverge": 0.2}}).json()["coinglass"]["diverge"] == 0.2
    assert float(client.get(path, headers=CG, params=params).json()["data"][0]["close"]) == pytest.approx(base * 1.2, rel=1e-6)
    client.delete("/_sandbox/aggregators")
    assert float(client.get(path, headers=CG, params=params).json()["data"][0]["close"]) == pytest.approx(base, rel=1e-9)
    assert client.post("/_sandbox/aggregators", json={"nobody": {"diverge": 0.1}}).status_code == 400
    assert client.post("/_sandbox/aggregators", json={"coinglass": {"diverge": -1}}).status_code == 400


def test_faults_reach_the_aggregators_like_any_venue(client, sb):
    sb.add_fault("coinalyze", "http_500")
    assert client.get("/coinalyze/v1/exchanges", headers=CZ).status_code == 500
    assert client.get("/coinalyze/v1/exchanges", headers=CZ).status_code == 200
