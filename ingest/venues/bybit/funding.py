"""Bybit v5 funding: settled events of the linear USDT perpetuals and the instruments that state their interval.

Funding history answers newest first, at most 200 rows, with no cursor: page backwards by moving
endTime below the oldest row seen. The funding interval (minutes) comes from instruments-info.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points  # a day without funding events is an outage
from ingest.venues._paging import require_list
from ingest.venues.bybit.api import SOURCE, get_result, perp_symbol

PAGE = 200


def fetch_funding_rates(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        end, seen = ctx.end_ms - 1, 0
        while end >= ctx.start_ms:
            rows = require_list(SOURCE, get_result(ctx, "/v5/market/funding/history", {
                "category": "linear", "symbol": perp_symbol(asset), "startTime": ctx.start_ms,
                "endTime": end, "limit": PAGE}).get("list"), "result.list")
            seen += len(rows)
            stamps = [int(r["fundingRateTimestamp"]) for r in rows
                      if isinstance(r, dict) and str(r.get("fundingRateTimestamp", "")).isdigit()]
            if len(rows) < PAGE or not stamps:
                break
            if min(stamps) - 1 >= end:
                raise SourceError(f"{SOURCE}: funding history paging did not move below {end}")
            end = min(stamps) - 1
        require_points(SOURCE, f"funding history {asset}", seen)


def fetch_instruments(ctx: FetchContext) -> None:
    cursor, seen = None, 0
    for _ in range(50):  # a bound, not an expectation: the linear list is a few pages
        result = get_result(ctx, "/v5/market/instruments-info",
                            {"category": "linear", "limit": 1000, "cursor": cursor})
        seen += len(result.get("list") or [])
        cursor = result.get("nextPageCursor") or None
        if not cursor:
            require_points(SOURCE, "instruments-info", seen)  # no instruments listed: an outage
            return
    raise SourceError(f"{SOURCE}: instruments-info kept returning a cursor")


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$.result.list",
        fields=(
            Field("symbol", "$.symbol"),
            Field("funding_time_ms", "$.fundingRateTimestamp", "BIGINT"),
            Field("funding_rate", "$.fundingRate", "DOUBLE"),  # plausibility: a test on marts.funding_rates
        ),
        key=("symbol", "funding_time_ms"),
        fetch=fetch_funding_rates,
        description="Settled funding events of linear perpetuals",
    ),
    Dataset(
        name="instruments",
        records="$.result.list",
        fields=(
            Field("symbol", "$.symbol"),
            Field("contract_type", "$.contractType", required=False),
            Field("base_coin", "$.baseCoin", required=False),
            Field("funding_interval_min", "$.fundingInterval", "INTEGER", required=False),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_instruments,
        description="Linear instruments as listed on the run day (funding interval, contract type)",
    ),
]
