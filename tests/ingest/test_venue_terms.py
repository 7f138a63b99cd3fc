"""Documented request terms the ingest keeps, tried against the sandbox that answers like the venue:
BitMEX's keyless rate limit, CoinGlass's intervals by plan, OKX's `alias` for FUTURES liquidation orders."""
from __future__ import annotations

import datetime as dt
import logging

import httpx
import pytest
import yaml

from ingest.config import SourceConfig
from ingest.http import HttpClient, SourceError
from ingest.spec import FetchContext
from ingest.venues import coinglass
from ingest.venues.coinglass.api import funding_interval as coinglass_funding_interval
from ingest.venues.okx import liquidations as okx_liquidations
from tests.conftest import PROJECT
from tests.support.sandbox import in_process_sandbox

DAY = dt.date(2026, 11, 24)
RUN_AT = dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def terms_sb():
    with in_process_sandbox(RUN_AT) as server:
        yield server


@pytest.fixture()
def sb(terms_sb):
    terms_sb.set_clock(RUN_AT)
    yield terms_sb
    httpx.delete(f"{terms_sb.url}/_sandbox/aggregators")


def _ctx(source: str, base_url: str, tmp_path, **extra) -> FetchContext:
    cfg = SourceConfig(name=source, enabled=True, kind="aggregator" if source == "coinglass" else "venue",
                       base_url=base_url, assets=("BTC",), requests_per_second=1000, extra=extra)
    headers = {"CG-API-KEY": "sandbox-placeholder"} if source == "coinglass" else None
    client = HttpClient(base_url, source=source, requests_per_second=1000, headers=headers, max_attempts=1)
    return FetchContext(source=cfg, client=client, day=DAY, log=logging.getLogger("test"))


def test_bitmex_live_rate_stays_inside_the_keyless_limit():
    # https://www.bitmex.com/app/restAPI#Limits: 30 requests a minute without a key (the ingest sends none)
    doc = yaml.safe_load((PROJECT / "config" / "sources.yml").read_text())
    per_minute = doc["sources"]["bitmex"]["rate_limit"]["requests_per_second"] * 60
    assert 0 < per_minute <= 30


def test_coinglass_interval_the_plan_does_not_serve_fails_before_asking(tmp_path):
    class NoRequests:
        def get_json(self, *a, **k):
            raise AssertionError("no request may leave for an interval the plan refuses")

    ctx = _ctx("coinglass", "http://unused", tmp_path, plan="hobbyist", funding_interval="1h")
    ctx.client = NoRequests()
    funding = next(d for d in coinglass.DATASETS if d.name == "funding_oi_weighted")
    with pytest.raises(SourceError, match=r"funding_interval 1h is not served on the hobbyist plan.*4h"):
        funding.fetch(ctx)


def test_coinglass_plan_picks_the_interval(tmp_path):
    assert coinglass_funding_interval(_ctx("coinglass", "http://x", tmp_path, plan="hobbyist")) == "4h"
    assert coinglass_funding_interval(_ctx("coinglass", "http://x", tmp_path, plan="startup")) == "1h"
    assert coinglass_funding_interval(_ctx("coinglass", "http://x", tmp_path)) == "4h"  # Hobbyist unless told


def test_sandbox_coinglass_refuses_like_the_venue_and_the_error_names_the_plan(sb, tmp_path):
    httpx.post(f"{sb.url}/_sandbox/aggregators", json={"coinglass": {"plan": "hobbyist"}}).raise_for_status()
    path = "/api/futures/funding-rate/oi-weight-history"
    params = {"symbol": "BTC", "start_time": 1795478400000, "end_time": 1795564799999, "limit": 1000}
    with httpx.Client(base_url=f"{sb.url}/coinglass", headers={"CG-API-KEY": "k"}) as c:
        refused = c.get(path, params={**params, "interval": "1h"})
        served = c.get(path, params={**params, "interval": "4h"})
    assert refused.status_code == 200 and refused.json()["code"] != "0"
    assert "Hobbyist" in refused.json()["msg"]
    assert served.json()["code"] == "0" and len(served.json()["data"]) == 6

    # a key on Hobbyist configured as Standard: CoinGlass refuses, and the error says which plan was assumed
    ctx = _ctx("coinglass", f"{sb.url}/coinglass", tmp_path, plan="standard")
    funding = next(d for d in coinglass.DATASETS if d.name == "funding_oi_weighted")
    with pytest.raises(SourceError, match=r"Hobbyist plan.*interval 1h, configured plan standard"):
        funding.fetch(ctx)
    # configured as it is, the day comes in 4-hour candles
    funding.fetch(_ctx("coinglass", f"{sb.url}/coinglass", tmp_path, plan="hobbyist"))


def test_okx_futures_liquidations_are_asked_per_alias(sb, tmp_path):
    asked = []

    class Recording(HttpClient):
        def get_json(self, path, params=None, **kw):
            asked.append(dict(params or {}))
            return super().get_json(path, params, **kw)

    ctx = _ctx("okx", f"{sb.url}/okx", tmp_path)
    ctx.client = Recording(f"{sb.url}/okx", source="okx", requests_per_second=1000, max_attempts=1)
    okx_liquidations.fetch_liquidations(ctx)
    futures = [p for p in asked if p["instType"] == "FUTURES"]
    assert {(p["instFamily"], p["alias"]) for p in futures} == {
        (f, a) for f in ("BTC-USDT", "BTC-USD") for a in ("this_week", "next_week", "quarter", "next_quarter")}
    assert all("alias" not in p for p in asked if p["instType"] == "SWAP")
    # the sandbox refuses a FUTURES request without it, as the docs require
    r = httpx.get(f"{sb.url}/okx/api/v5/public/liquidation-orders",
                  params={"instType": "FUTURES", "instFamily": "BTC-USD", "state": "filled"})
    assert r.json()["code"] == "50014" and "alias" in r.json()["msg"]
