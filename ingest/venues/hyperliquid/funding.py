"""Hyperliquid funding settlements (POST /info, type fundingHistory).

fundingHistory returns at most 500 rows a call, oldest first: page forward from the last time + 1.

A settlement is a payment made at its `time` (stamped 0-1 s past the hour in recorded answers) to the positions
open then, at a rate averaged over the interval it closes (https://hyperliquid.gitbook.io/hyperliquid-docs/
trading/funding: "Funding is paid every hour", the premium sampled every 5 seconds). Payments are events, so D
has the settlements stamped in [D 00:00, D+1 00:00): 24, or 3 while settlement was 8-hourly (before
2023-06-08; dbt derives the interval, stg_hyperliquid__funding_rates).
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points  # a day without funding events is an outage
from ingest.venues._paging import require_list
from ingest.venues.hyperliquid.api import SOURCE

PAGE = 500


def fetch_funding_rates(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        start, seen = ctx.start_ms, 0
        while start < ctx.end_ms:
            rows = require_list(SOURCE, ctx.client.post_json("/info", {
                "type": "fundingHistory", "coin": asset, "startTime": start, "endTime": ctx.end_ms - 1}),
                "fundingHistory")
            seen += len(rows)
            if len(rows) < PAGE:
                break
            last = max(int(r["time"]) for r in rows if isinstance(r, dict) and "time" in r)
            if last + 1 <= start:
                raise SourceError(f"{SOURCE}: fundingHistory paging did not advance")
            start = last + 1
        require_points(SOURCE, f"fundingHistory {asset}", seen)


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$",
        fields=(
            Field("coin", "$.coin"),
            Field("time_ms", "$.time", "BIGINT"),
            Field("funding_rate", "$.fundingRate", "DOUBLE"),  # plausibility: a test on marts.funding_rates
            Field("premium", "$.premium", "DOUBLE", required=False),
        ),
        key=("coin", "time_ms"),
        fetch=fetch_funding_rates,
        description="Funding settlements of the perpetuals (hourly; 8-hourly before 2023-06-08)",
    ),
]
