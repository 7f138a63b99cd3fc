"""The ingest sends the requests a widely used client sends for the same data: ccxt's static request tests
(tests/fixtures/ccxt) pin the exact URL ccxt emits for OKX option open interest and Deribit funding history.
The ingest runs against the sandbox and its landed requests (the landing keeps every request) are compared
path for path and parameter for parameter."""
from __future__ import annotations

import datetime as dt
import gzip
import json
from urllib.parse import parse_qs, urlsplit

from ingest.run import ingest_source
from tests.conftest import FIXTURES

DAY = dt.date(2026, 11, 26)
CCXT = json.loads((FIXTURES / "ccxt" / "ccxt_static_request_extracts.json").read_text())


def ccxt_url(exchange: str, method: str, description: str | None = None) -> tuple[str, dict[str, str]]:
    entry = next(e for e in CCXT[exchange][method] if description is None or e["description"] == description)
    url = urlsplit(entry["url"])
    return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}


def landed_requests(root, source: str, dataset: str) -> list[tuple[str, dict]]:
    out = []
    for f in sorted((root / "landing" / f"source={source}" / f"dataset={dataset}").rglob("*.ndjson.gz")):
        with gzip.open(f, "rt") as fh:
            for line in fh:
                rec = json.loads(line)
                out.append((urlsplit(rec["url"]).path, {k: str(v) for k, v in (rec["params"] or {}).items()}))
    assert out, f"nothing landed for {source}.{dataset}"
    return out


def test_okx_option_open_interest_is_asked_as_ccxt_asks_it(sandbox, sandbox_sources, data_dir):
    sandbox.set_clock(dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC))
    manifest = ingest_source("okx", DAY, root=data_dir, datasets=["option_open_interest"])
    assert manifest["datasets"]["option_open_interest"]["status"] == "ok", manifest
    path, params = ccxt_url("okx", "fetchOpenInterests", "fetch open interests for option")
    got = landed_requests(data_dir, "okx", "option_open_interest")
    btc = [p for u, p in got if p.get("instFamily") == "BTC-USD"]
    assert all(u.endswith(path) for u, _ in got), got
    assert btc == [params]  # {'instType': 'OPTION', 'instFamily': 'BTC-USD'}, nothing more


def test_deribit_funding_history_is_asked_with_ccxts_parameter_names(sandbox, sandbox_sources, data_dir):
    sandbox.set_clock(dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC))
    manifest = ingest_source("deribit", DAY, root=data_dir, datasets=["funding_rates"])
    assert manifest["datasets"]["funding_rates"]["status"] == "ok", manifest
    path, params = ccxt_url("deribit", "fetchFundingRateHistory")
    got = landed_requests(data_dir, "deribit", "funding_rates")
    assert all(u.endswith(path) for u, _ in got), got
    assert all(set(p) == set(params) for _, p in got), (got, params)
    assert all(p[k].isdigit() for _, p in got for k in ("start_timestamp", "end_timestamp")), got  # ms epochs
