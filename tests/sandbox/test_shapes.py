"""Each venue answers with the real envelope, field names and JSON types (checked against real samples)."""
from __future__ import annotations

import datetime as dt
import re

from tests.sandbox._helpers import DAY_END, DAY_START, assert_like, json_kind, load_sample

NUM_STR = re.compile(r"^-?\d+(\.\d+)?$")


def test_bybit_funding_history_matches_sample(client, samples):
    sample = load_sample(samples, "nautilus_trader/bybit__http_get_funding_history.json")
    r = client.get("/bybit/v5/market/funding/history", params={
        "category": "linear", "symbol": "BTCUSDT", "startTime": DAY_START, "endTime": DAY_END - 1, "limit": 200})
    assert r.status_code == 200
    body = r.json()
    assert_like(body, sample, where="envelope")
    assert body["retCode"] == 0 and body["retExtInfo"] == {}
    assert_like(body["result"], sample["result"], exact=True, where="result")
    rows = body["result"]["list"]
    assert len(rows) == 3
    for row in rows:
        assert_like(row, sample["result"]["list"][0], exact=True, where="record")
        assert NUM_STR.match(row["fundingRate"]) and row["fundingRateTimestamp"].isdigit()
    times = [int(r["fundingRateTimestamp"]) for r in rows]
    assert times == sorted(times, reverse=True), "bybit answers newest first"


def test_okx_funding_rate_history_matches_sample(client, samples):
    sample = load_sample(samples, "nautilus_trader/okx__http_get_funding_rate_history.json")
    r = client.get("/okx/api/v5/public/funding-rate-history", params={"instId": "ETH-USDT-SWAP", "limit": 5})
    body = r.json()
    assert r.status_code == 200
    assert_like(body, sample, exact=True, where="envelope")
    assert body["code"] == "0" and len(body["data"]) == 5
    for row in body["data"]:
        assert_like(row, sample["data"][0], where="record")
        assert set(row) - set(sample["data"][0]) <= {"formulaType", "method"}
        assert all(isinstance(v, str) for v in row.values())
        assert NUM_STR.match(row["fundingRate"]) and NUM_STR.match(row["realizedRate"])


def test_hyperliquid_funding_history_matches_sample(client, samples):
    sample = load_sample(samples, "nautilus_trader/hyperliquid__http_funding_history.json")
    r = client.post("/hyperliquid/info", json={"type": "fundingHistory", "coin": "BTC", "startTime": DAY_START,
                                                "endTime": DAY_END - 1})
    rows = r.json()
    assert r.status_code == 200 and len(rows) == 24
    for row in rows:
        assert_like(row, sample[0], exact=True, where="record")
    assert [row["time"] for row in rows] == [DAY_START + h * 3_600_000 for h in range(24)]


def test_hyperliquid_meta_matches_sample(client, samples):
    sample = load_sample(samples, "nautilus_trader/hyperliquid__http_meta_perp_sample.json")
    meta = client.post("/hyperliquid/info", json={"type": "meta"}).json()
    by_name = {u["name"]: u for u in meta["universe"]}
    for ref in sample["universe"]:
        if ref["name"] in by_name:
            assert_like(by_name[ref["name"]], {k: v for k, v in ref.items() if v is not None}, where=ref["name"])
    both = client.post("/hyperliquid/info", json={"type": "metaAndAssetCtxs"}).json()
    assert isinstance(both, list) and both[0] == meta and len(both[1]) == len(meta["universe"])
    for ctx in both[1]:
        assert {"funding", "openInterest", "markPx", "oraclePx", "premium", "prevDayPx", "dayNtlVlm"} <= set(ctx)
        assert all(isinstance(v, (str, list)) for v in ctx.values())


def test_bitmex_funding_matches_swagger(client, samples):
    swagger = load_sample(samples, "bitmex-swagger/bitmex_swagger_extract.json")
    ws_sample = load_sample(samples, "nautilus_trader/bitmex__ws_funding_rate.json")
    props = swagger["definitions"]["Funding"]["properties"]
    r = client.get("/bitmex/api/v1/funding", params={
        "symbol": "XBTUSD", "startTime": "2026-11-26T00:00:00.000Z", "endTime": "2026-11-26T23:59:59.999Z"})
    rows = r.json()
    assert r.status_code == 200 and [row["timestamp"][11:13] for row in rows] == ["04", "12", "20"]
    for row in rows:
        assert set(row) == set(props)
        for name, schema in props.items():
            expected = "number" if schema["type"] == "number" else "string"
            assert json_kind(row[name]) == expected, name
            if schema.get("format") == "date-time":
                dt.datetime.fromisoformat(row[name].replace("Z", "+00:00"))
        assert_like(row, ws_sample, exact=True, where="funding")
        assert row["fundingInterval"] == "2000-01-01T08:00:00.000Z"


def test_bitmex_instrument_matches_swagger(client, samples):
    swagger = load_sample(samples, "bitmex-swagger/bitmex_swagger_extract.json")
    selected = swagger["definitions"]["Instrument(selected)"]
    (inst,) = client.get("/bitmex/api/v1/instrument", params={"symbol": "XBTUSD"}).json()
    for name, schema in selected.items():
        assert name in inst, name
        if inst[name] is None:
            continue
        kinds = {"string": "string", "number": "number", "integer": "number", "boolean": "bool"}
        assert json_kind(inst[name]) == kinds[schema["type"]], name
    assert inst["isInverse"] is True and inst["multiplier"] == -100000000


def test_binance_funding_rate_documented_shape(client):
    documented = {"symbol": "BTCUSDT", "fundingRate": "-0.03750000", "fundingTime": 1570608000000,
                  "markPrice": "34287.54619963"}
    rows = client.get("/binance/fapi/v1/fundingRate", params={
        "symbol": "ETHUSDT", "startTime": DAY_START, "endTime": DAY_END - 1, "limit": 1000}).json()
    assert len(rows) == 6, "ETHUSDT settles every 4 hours"
    for row in rows:
        assert_like(row, documented, exact=True, where="fundingRate")
        assert re.match(r"^-?\d+\.\d{8}$", row["fundingRate"]) and re.match(r"^\d+\.\d{8}$", row["markPrice"])
    info = client.get("/binance/fapi/v1/fundingInfo").json()
    documented_info = {"symbol": "BLZUSDT", "adjustedFundingRateCap": "0.02500000",
                       "adjustedFundingRateFloor": "-0.02500000", "fundingIntervalHours": 8, "disclaimer": False}
    assert [i["symbol"] for i in info] == ["ETHUSDT"] and info[0]["fundingIntervalHours"] == 4
    assert_like(info[0], documented_info, exact=True, where="fundingInfo")
    ex = client.get("/binance/fapi/v1/exchangeInfo").json()
    assert {"timezone", "serverTime", "rateLimits", "symbols"} <= set(ex)
    assert {s["symbol"] for s in ex["symbols"] if s["contractType"] == "PERPETUAL"} == {"BTCUSDT", "ETHUSDT"}


def test_deribit_funding_and_instruments(client, samples):
    # start exclusive, end inclusive, records stamped at the end of their hour (the docs' example):
    # the day's 24 hours are the records of DAY 01:00 .. DAY+1 00:00
    r = client.get("/deribit/api/v2/public/get_funding_rate_history", params={
        "instrument_name": "BTC-PERPETUAL", "start_timestamp": DAY_START, "end_timestamp": DAY_END})
    body = r.json()
    assert r.status_code == 200
    assert {"jsonrpc", "result", "usIn", "usOut", "usDiff", "testnet"} == set(body)
    assert [r["timestamp"] for r in body["result"]] == list(range(DAY_START + 3_600_000, DAY_END + 1, 3_600_000))
    documented = {"timestamp": 1, "index_price": 1.0, "prev_index_price": 1.0, "interest_8h": 1.0, "interest_1h": 1.0}
    for row in body["result"]:
        assert_like(row, documented, exact=True, where="funding row")
    rows = body["result"]
    assert abs(rows[10]["interest_8h"] - sum(r["interest_1h"] for r in rows[3:11])) < 1e-9
    sample = load_sample(samples, "nautilus_trader/deribit__http_get_instrument_option.json")
    inst = client.get("/deribit/api/v2/public/get_instruments", params={"currency": "BTC", "kind": "option"}).json()
    assert inst["result"], "options are listed"
    assert_like(inst["result"][0], sample["result"], where="option instrument")
    futures = client.get("/deribit/api/v2/public/get_instruments", params={"currency": "ETH", "kind": "future"}).json()
    assert "ETH-PERPETUAL" in {f["instrument_name"] for f in futures["result"]}


def test_okx_option_instruments_match_sample(client, samples):
    sample = load_sample(samples, "nautilus_trader/okx__http_get_instruments_option.json")
    body = client.get("/okx/api/v5/public/instruments", params={"instType": "OPTION", "instFamily": "BTC-USD"}).json()
    assert body["code"] == "0" and body["data"]
    assert_like(body["data"][0], sample["data"][0], exact=True, where="okx option")
    swaps = client.get("/okx/api/v5/public/instruments", params={"instType": "SWAP"}).json()["data"]
    assert {s["instId"] for s in swaps} == {"BTC-USDT-SWAP", "ETH-USDT-SWAP"}
    assert all(isinstance(v, str) for s in swaps for v in s.values())


def test_bybit_instruments_info(client):
    body = client.get("/bybit/v5/market/instruments-info", params={"category": "linear"}).json()
    items = {i["symbol"]: i for i in body["result"]["list"]}
    assert body["retCode"] == 0 and body["result"]["nextPageCursor"] == ""
    assert items["BTCUSDT"]["fundingInterval"] == 480 and items["ETHUSDT"]["fundingInterval"] == 480
    assert {"contractType", "status", "baseCoin", "quoteCoin", "lotSizeFilter", "priceFilter"} <= set(items["BTCUSDT"])
    first = client.get("/bybit/v5/market/instruments-info", params={"category": "option", "limit": 50}).json()
    second = client.get("/bybit/v5/market/instruments-info", params={
        "category": "option", "limit": 50, "cursor": first["result"]["nextPageCursor"]}).json()
    names = [i["symbol"] for i in first["result"]["list"] + second["result"]["list"]]
    assert len(names) == 100 and len(set(names)) == 100


def test_error_shapes(client):
    r = client.get("/binance/fapi/v1/fundingRate", params={"symbol": "NOPEUSDT"})
    assert r.status_code == 400 and r.json() == {"code": -1121, "msg": "Invalid symbol."}
    r = client.get("/bybit/v5/market/funding/history", params={"category": "linear", "symbol": "NOPE"})
    assert r.status_code == 200 and r.json()["retCode"] == 10001 and r.json()["retMsg"]
    r = client.get("/bybit/v5/market/funding/history", params={
        "category": "linear", "symbol": "BTCUSDT", "startTime": DAY_START})
    assert r.json()["retCode"] == 10001, "startTime alone is refused"
    r = client.get("/okx/api/v5/public/funding-rate-history", params={"instId": "NOPE-USDT-SWAP"})
    assert r.json() == {"code": "51001", "msg": "Instrument ID does not exist", "data": []}
    r = client.get("/deribit/api/v2/public/get_funding_rate_history", params={"instrument_name": "NOPE"})
    assert r.status_code == 400 and r.json()["jsonrpc"] == "2.0" and {"message", "code"} <= set(r.json()["error"])
    r = client.get("/bitmex/api/v1/funding", params={"symbol": "XBTUSD", "startTime": "yesterday-ish"})
    assert r.status_code == 400 and set(r.json()["error"]) == {"message", "name"}
    r = client.post("/hyperliquid/info", json={"type": "fundingHistory", "coin": "BTC"})
    assert r.status_code == 422 and "startTime" in r.text
