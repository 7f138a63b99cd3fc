"""Binance USD-M futures (fapi) and European options (eapi).

Funding: GET /fapi/v1/fundingRate pages forward by startTime (ascending, limit 1000).
GET /fapi/v1/fundingInfo lists only symbols whose cap, floor or interval was adjusted; a symbol
absent from it settles every 8 hours.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._paging import require_list

SOURCE = "binance"
PAGE = 1000


def perp_symbol(asset: str) -> str:
    return f"{asset}USDT"


def fetch_funding_rates(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        start = ctx.start_ms
        while start < ctx.end_ms:
            rows = require_list(SOURCE, ctx.client.get_json("/fapi/v1/fundingRate", {
                "symbol": perp_symbol(asset), "startTime": start, "endTime": ctx.end_ms - 1, "limit": PAGE}),
                "fundingRate")
            if not rows:
                break
            last = max(int(r["fundingTime"]) for r in rows if isinstance(r, dict) and "fundingTime" in r)
            if last + 1 <= start:
                raise SourceError(f"{SOURCE}: fundingRate paging did not advance past {start}")
            start = last + 1
            if len(rows) < PAGE:
                break


def fetch_funding_info(ctx: FetchContext) -> None:
    require_list(SOURCE, ctx.client.get_json("/fapi/v1/fundingInfo"), "fundingInfo")


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$",
        fields=(
            Field("symbol", "$.symbol"),
            Field("funding_time_ms", "$.fundingTime", "BIGINT"),
            Field("funding_rate", "$.fundingRate", "DOUBLE", min=-0.05, max=0.05),
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
            Field("adjusted_cap", "$.adjustedFundingRateCap", "DOUBLE", required=False),
            Field("adjusted_floor", "$.adjustedFundingRateFloor", "DOUBLE", required=False),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_funding_info,
        description="Symbols whose funding interval or cap is not the default, as observed on the run day",
    ),
]
