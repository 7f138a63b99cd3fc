"""Every dataset has a contract citing its documentation; docs/sources.md is what the contracts say; the
ingest asks for no more than the documented page; the sandbox enforces the same documented maxima and limits."""
from __future__ import annotations

import datetime as dt
import importlib
import re

import httpx
import pytest

from ingest import contracts
from ingest.venues import MODULES, all_datasets
from sandbox.market import DEFAULT_NOW
from sandbox.ratelimit import RateLimiter, documented_rates
from sandbox.server import SandboxServer
from tests.conftest import PROJECT

DAY_START = 1795651200000  # 2026-11-26 00:00 UTC


def test_every_dataset_of_every_module_has_a_contract_and_no_contract_is_stale():
    have = set(contracts.all_contracts())
    want = {(s, d.name) for s, ds in all_datasets().items() for d in ds}
    assert want - have == set(), f"datasets without a contract: {sorted(want - have)}"
    assert have - want == set(), f"contracts of datasets no module has: {sorted(have - want)}"
    assert set(contracts.sources()) == set(MODULES)


def test_every_group_is_cited_with_an_https_url_and_the_date_it_was_read():
    assert contracts.problems() == []
    for (source, dataset), groups in contracts.all_contracts().items():
        for name, group in groups.items():
            for c in group["citations"]:
                assert c["url"].startswith("https://") and isinstance(c["read"], dt.date), (source, dataset, name, c)
                assert c["retrieved"] in contracts.RETRIEVED, (source, dataset, name, c)
                assert c.get("says"), f"{source}.{dataset}.{name}: page {c['key']} says nothing"
                if c["retrieved"] == "transcribed":
                    assert c.get("via"), (source, dataset, name, c)


def test_a_retention_the_ingest_acts_on_is_the_one_the_contract_documents():
    declared = {(s, d.name): d.retention for s, ds in all_datasets().items() for d in ds
                if getattr(d, "retention", None) is not None}
    assert declared, "no dataset declares a retention: the check would prove nothing"
    for (source, dataset), value in declared.items():
        assert contracts.retention(source, dataset) == value, (source, dataset, value)


def test_liquidation_datasets_state_their_side_convention():
    for (source, dataset), groups in contracts.all_contracts().items():
        if "liquidation" in dataset:
            assert "side" in groups, f"{source}.{dataset}: no side convention"


def test_a_fact_without_a_page_is_refused(tmp_path, monkeypatch):
    bad = {"sources": ["x"], "pages": {}, "datasets": {"d": {"endpoint": {"path": "/x", "cite": ["nowhere"]}}}}
    monkeypatch.setattr(contracts, "_files", lambda: {"x": {**bad, "_file": "x.yml"}})
    with pytest.raises(contracts.ContractError, match="unknown page 'nowhere'"):
        contracts.contract("x", "d")
    monkeypatch.setattr(contracts, "_files", lambda: {"x": {"sources": ["x"], "pages": {}, "_file": "x.yml",
                                                          "datasets": {"d": {"endpoint": {"path": "/x"}}}}})
    issues = contracts.problems()
    assert "x.d.endpoint: no citation with an https URL and a read date" in issues
    assert "x.d: no `paging`" in issues


def test_docs_sources_md_is_generated_from_the_contracts():
    assert contracts.main(["--check"]) == 0, "docs/sources.md is stale: run `python -m ingest.contracts`"
    text = (PROJECT / "docs" / "sources.md").read_text()
    assert "docs silent" in text and "https://docs.deribit.com/" in text


# (module, constant, contract source, dataset): what the ingest asks for per page
INGEST_PAGES = [
    ("ingest.venues.binance.funding", "PAGE", "binance", "funding_rates"),
    ("ingest.venues.binance.markets", "OI_PAGE", "binance", "open_interest_hist"),
    ("ingest.venues.binance.markets", "KLINE_PAGE", "binance", "mark_price_klines"),
    ("ingest.venues.bybit.funding", "PAGE", "bybit", "funding_rates"),
    ("ingest.venues.bybit.markets", "OI_PAGE", "bybit", "open_interest"),
    ("ingest.venues.bybit.markets", "KLINE_PAGE", "bybit", "mark_price_klines"),
    ("ingest.venues.bybit.markets", "INSTRUMENT_PAGE", "bybit", "option_instruments"),
    ("ingest.venues.okx.funding", "PAGE", "okx", "funding_rates"),
    ("ingest.venues.okx.liquidations", "PAGE", "okx", "liquidations"),
    ("ingest.venues.okx.markets", "OI_PAGE", "okx", "open_interest_hist"),
    ("ingest.venues.deribit.trades", "TRADES_PAGE", "deribit", "future_trades"),
    ("ingest.venues.bitmex.funding", "PAGE", "bitmex", "funding_rates"),
    ("ingest.venues.hyperliquid.funding", "PAGE", "hyperliquid", "funding_rates"),
    ("ingest.venues.coinalyze.history", "MAX_SYMBOLS", "coinalyze", "liquidation_history"),
    ("ingest.onchain.esplora", "PAGE", "mempool_space", "address_txs"),
]


@pytest.mark.parametrize("module,constant,source,dataset", INGEST_PAGES)
def test_the_ingest_asks_for_the_page_the_contract_documents(module, constant, source, dataset):
    asked = getattr(importlib.import_module(module), constant)
    paging = contracts.contract(source, dataset)["paging"]
    assert asked <= paging["max_limit"], f"{module}.{constant}={asked} exceeds the documented {paging['max_limit']}"
    assert asked == paging["page_size"], f"{module}.{constant}={asked}, the contract says {paging['page_size']}"


@pytest.fixture(scope="module")
def sb():
    with SandboxServer(seed=7, clock=DEFAULT_NOW, rate_limit_scale=0) as server:
        yield server


# (contract source, dataset, sandbox path, query without the limit, name of the limit parameter)
PAGED = [
    # from the listing: thousands of settlements lie in the window, more than any page
    ("binance", "funding_rates", "/binance/fapi/v1/fundingRate", {"symbol": "BTCUSDT", "startTime": 1569398400000},
     "limit"),
    ("binance", "open_interest_hist", "/binance/futures/data/openInterestHist",
     {"symbol": "BTCUSDT", "period": "1h"}, "limit"),
    ("binance", "mark_price_klines", "/binance/fapi/v1/markPriceKlines", {"symbol": "BTCUSDT", "interval": "1h"}, "limit"),
    ("bybit", "funding_rates", "/bybit/v5/market/funding/history",
     {"category": "linear", "symbol": "BTCUSDT", "endTime": DAY_START}, "limit"),
    ("okx", "funding_rates", "/okx/api/v5/public/funding-rate-history", {"instId": "BTC-USDT-SWAP"}, "limit"),
    ("bitmex", "funding_rates", "/bitmex/api/v1/funding",
     {"symbol": "XBTUSD", "startTime": "2024-01-01T00:00:00.000Z"}, "count"),
    ("bybit", "open_interest", "/bybit/v5/market/open-interest",
     {"category": "linear", "symbol": "BTCUSDT", "intervalTime": "1h"}, "limit"),
    ("bybit", "mark_price_klines", "/bybit/v5/market/mark-price-kline",
     {"category": "linear", "symbol": "BTCUSDT", "interval": "60"}, "limit"),
    ("okx", "liquidations", "/okx/api/v5/public/liquidation-orders",
     {"instType": "SWAP", "instFamily": "BTC-USDT", "state": "filled"}, "limit"),
    ("okx", "open_interest_hist", "/okx/api/v5/rubik/stat/contracts/open-interest-history",
     {"instId": "BTC-USDT-SWAP", "period": "1H"}, "limit"),
    ("deribit", "future_trades", "/deribit/api/v2/public/get_last_trades_by_currency_and_time",
     {"currency": "BTC", "kind": "future", "start_timestamp": DAY_START, "end_timestamp": DAY_START + 86_399_999}, "count"),
    ("coinglass", "liquidation_history", "/coinglass/api/futures/liquidation/aggregated-history",
     {"symbol": "BTC", "interval": "1d", "exchange_list": "Binance"}, "limit"),
]


def _rows(r: httpx.Response) -> list:
    body = r.json()
    for path in ((), ("result", "list"), ("result", "trades"), ("result",), ("data",)):
        node = body
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, list):
            return node
    raise AssertionError(f"no record list in {r.text[:200]}")


def _refused(r: httpx.Response) -> bool:
    if r.status_code >= 400:
        return True
    body = r.json()
    return isinstance(body, dict) and (body.get("retCode", 0) != 0 or body.get("code") not in (None, "0", 0)
                                       or "error" in body)


@pytest.mark.parametrize("source,dataset,path,query,param", PAGED, ids=[f"{p[0]}.{p[1]}" for p in PAGED])
def test_the_sandbox_never_serves_more_than_the_documented_page(sb, source, dataset, path, query, param):
    """Asked for one more than the documented maximum, the sandbox refuses or clamps (as the venue's docs
    say it does); it never answers a bigger page, which would hide a client's paging bug."""
    limit = contracts.max_limit(source, dataset)
    headers = {"CG-API-KEY": "placeholder", "api_key": "placeholder"}
    with httpx.Client(base_url=sb.url, timeout=30, headers=headers) as c:
        at_max = c.get(path, params={**query, param: limit})
        assert not _refused(at_max), at_max.text[:300]
        assert len(_rows(at_max)) <= limit
        over = c.get(path, params={**query, param: limit + 1})
    assert _refused(over) or len(_rows(over)) <= limit, \
        f"{path} served {len(_rows(over))} rows for {param}={limit + 1}, beyond the documented {limit}"


def test_the_sandbox_quotes_the_documented_limits_when_it_throttles(sb):
    with httpx.Client(base_url=sb.url, timeout=10) as c:
        info = c.get("/binance/fapi/v1/exchangeInfo").json()
    weight = next(r for r in info["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT")
    assert weight["limit"] == contracts.per_minute("binance") == 2400
    from aiohttp.test_utils import make_mocked_request

    from sandbox.venues import binance, bitmex

    request = make_mocked_request("GET", "/x", app=sb.app)
    assert re.search(r"is 2400 requests per minute", binance.throttled(request, 2).text)
    assert bitmex.throttled(request, 2).headers["x-ratelimit-limit"] == str(contracts.per_minute("bitmex")) == "30"


def test_documented_rate_limits_pace_the_sandbox_like_the_venue():
    rates = documented_rates()
    assert rates["bitmex"] == pytest.approx(30 / 60) and rates["binance-options"] == rates["binance"] == 40
    limiter = RateLimiter(documented=True)
    assert limiter.rate("hyperliquid") == pytest.approx(contracts.requests_per_second("hyperliquid"))
    assert limiter.rate("coinalyze") == pytest.approx(40 / 60)  # aggregators and chains too
    # 30 a minute: the minute's budget at once, then one request every 2 s
    assert all(limiter.check("bitmex") is None for _ in range(30))
    assert limiter.check("bitmex") == 2.0
    assert RateLimiter().check("bitmex") is None and RateLimiter().rate("bitmex") == 50.0  # local speed by default


def test_coinalyze_counts_every_symbol_of_a_request_as_a_call():
    symbols = ",".join(f"S{i}_PERP.A" for i in range(20))
    assert RateLimiter.cost("coinalyze", {"symbols": symbols}) == 20
    assert RateLimiter.cost("coinalyze", {}) == 1 and RateLimiter.cost("binance", {"symbols": symbols}) == 1
    with SandboxServer(seed=7, clock=DEFAULT_NOW, rate_limit_scale=1) as server:
        server.state.limiter = RateLimiter(documented=True)
        with httpx.Client(base_url=server.url, timeout=10, headers={"api_key": "placeholder"}) as c:
            codes = [c.get("/coinalyze/v1/funding-rate-history", params={
                "symbols": symbols, "interval": "1hour", "from": 1795651200, "to": 1795737599}).status_code
                for _ in range(3)]
    assert codes == [200, 200, 429], codes  # 20 + 20 spend the 40 of the minute


def test_coinalyze_serves_intraday_candles_only_as_far_back_as_documented(sb):
    """'We keep only between 1500 and 2000 datapoints for intraday timeframe/granularity': hourly funding older
    than 1500 hours is gone (the fewer, the earlier a backfill fails loudly); daily candles are kept."""
    points = contracts.contract("coinalyze", "funding_rate_history")["retention"]["intraday_points"]
    now_s = int(DEFAULT_NOW.timestamp())
    old_day = (now_s - (points + 48) * 3600) // 86400 * 86400  # a whole UTC day beyond the kept hours
    with httpx.Client(base_url=sb.url, timeout=10, headers={"api_key": "placeholder"}) as c:
        def history(interval: str, start: int, end: int) -> list:
            r = c.get("/coinalyze/v1/funding-rate-history", params={
                "symbols": "BTCUSDT_PERP.A", "interval": interval, "from": start, "to": end})
            assert r.status_code == 200, r.text
            return r.json()[0]["history"]
        assert history("1hour", old_day, old_day + 86399) == []
        assert len(history("1hour", now_s - 3 * 86400, now_s - 2 * 86400 - 1)) == 24  # recent hours are there
        assert len(history("daily", old_day, old_day + 86399)) == 1  # daily candles are never deleted


def test_the_sandbox_holds_to_the_documented_symbol_batch_and_row_maxima(sb):
    symbols = contracts.max_limit("coinalyze", "liquidation_history")
    batch = contracts.max_limit("eth_rpc_a", "rpc_calls")
    rows = contracts.max_limit("hyperliquid", "funding_rates")
    with httpx.Client(base_url=sb.url, timeout=30, headers={"api_key": "placeholder"}) as c:
        def coinalyze(n: int) -> httpx.Response:
            return c.get("/coinalyze/v1/liquidation-history", params={
                "symbols": ",".join(f"BTCUSDT_PERP.{i}" for i in range(n)), "interval": "daily",
                "from": DAY_START // 1000, "to": DAY_START // 1000 + 86399})
        assert coinalyze(symbols).status_code == 200 and coinalyze(symbols + 1).status_code == 400

        def rpc(n: int) -> object:
            return c.post("/eth_rpc_a/", json=[{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber", "params": []}
                                               for i in range(n)]).json()
        assert isinstance(rpc(batch), list) and "error" in rpc(batch + 1)
        # 60 days of hourly settlements lie in the window: one answer holds the documented 500, from the start
        got = c.post("/hyperliquid/info", json={"type": "fundingHistory", "coin": "BTC",
                                                "startTime": DAY_START - 60 * 86_400_000, "endTime": DAY_START}).json()
    assert len(got) == rows and got[0]["time"] >= DAY_START - 60 * 86_400_000


def test_the_live_sources_file_paces_every_source_inside_its_documented_limit():
    import yaml

    doc = yaml.safe_load((PROJECT / "config" / "sources.yml").read_text())
    for name, block in doc["sources"].items():
        limit = contracts.rate_limit(name)
        configured = float(block["rate_limit"]["requests_per_second"])
        assert configured <= contracts.requests_per_second(name) + 1e-9, \
            f"{name}: config/sources.yml sends {configured}/s, the documented limit is " \
            f"{limit['requests']} per {limit['per_seconds']} s ({limit.get('unit', '')})"
