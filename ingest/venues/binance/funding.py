"""Binance funding: settled events (fapi/v1/fundingRate) and the symbols whose funding is not the default.

GET /fapi/v1/fundingRate pages forward by startTime (ascending, limit 1000).
GET /fapi/v1/fundingInfo lists only symbols whose cap, floor or interval was adjusted; a symbol
absent from it settles every 8 hours.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points  # a day without funding events is an outage
from ingest.venues._paging import require_list
from ingest.venues.binance.api import SOURCE, perp_symbol

PAGE = 1000


def fetch_funding_rates(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        start, seen = ctx.start_ms, 0
        while start < ctx.end_ms:
            rows = require_list(SOURCE, ctx.client.get_json("/fapi/v1/fundingRate", {
                "symbol": perp_symbol(asset), "startTime": start, "endTime": ctx.end_ms - 1, "limit": PAGE}),
                "fundingRate")
            seen += len(rows)
            if not rows:
                break
            last = max(int(r["fundingTime"]) for r in rows if isinstance(r, dict) and "fundingTime" in r)
            if last + 1 <= start:
                raise SourceError(f"{SOURCE}: fundingRate paging did not advance past {start}")
            start = last + 1
            if len(rows) < PAGE:
                break
        require_points(SOURCE, f"fundingRate {asset}", seen)


def fetch_funding_info(ctx: FetchContext) -> None:
    # hundreds of symbols are adjusted on the real venue: an empty list is an outage, not "all default"
    require_points(SOURCE, "fundingInfo", len(require_list(SOURCE, ctx.client.get_json("/fapi/v1/fundingInfo"),
                                                           "fundingInfo")))


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$",
        fields=(
            Field("symbol", "$.symbol"),
            Field("funding_time_ms", "$.fundingTime", "BIGINT"),
            Field("funding_rate", "$.fundingRate", "DOUBLE"),  # plausibility: a test on marts.funding_rates
            Field("mark_price", "$.markPrice", "DOUBLE", required=False),
        ),
        key=("symbol", "funding_time_ms"),
        fetch=fetch_funding_rates,
        description="Settled funding events of USD-M perpetuals",
    ),
    Dataset(
        name="funding_info",
        records="$",
        fields=(
            Field("symbol", "$.symbol"),
            Field("funding_interval_hours", "$.fundingIntervalHours", "INTEGER", min=1, max=24),
            # always sent: required, so a renamed or dropped field is quarantined instead of loaded as null
            Field("adjusted_cap", "$.adjustedFundingRateCap", "DOUBLE"),
            Field("adjusted_floor", "$.adjustedFundingRateFloor", "DOUBLE"),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_funding_info,
        description="Symbols whose funding interval or cap is not the default, as observed on the run day",
    ),
]
