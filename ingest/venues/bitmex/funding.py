"""BitMEX REST /api/v1 funding of the perpetuals (XBTUSD and ETHUSD); paging is by `start` offset."""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points  # a day without funding events is an outage
from ingest.venues._paging import require_list
from ingest.venues.bitmex.api import PERPS, SOURCE, iso_ms

PAGE = 500


def fetch_funding_rates(ctx: FetchContext) -> None:
    for asset in ctx.source.assets:
        if asset not in PERPS:
            raise SourceError(f"{SOURCE}: no perpetual configured for {asset}")
        offset = 0
        while True:
            rows = require_list(SOURCE, ctx.client.get_json("/api/v1/funding", {
                "symbol": PERPS[asset], "startTime": iso_ms(ctx.start_ms), "endTime": iso_ms(ctx.end_ms - 1),
                "count": PAGE, "start": offset, "reverse": "false"}), "funding")
            if len(rows) < PAGE:
                break
            offset += len(rows)
        require_points(SOURCE, f"funding {asset}", offset + len(rows))


DATASETS = [
    Dataset(
        name="funding_rates",
        records="$",
        fields=(
            Field("symbol", "$.symbol"),
            Field("funding_at", "$.timestamp", "TIMESTAMP"),
            Field("funding_rate", "$.fundingRate", "DOUBLE"),  # plausibility: a test on marts.funding_rates
            Field("funding_interval", "$.fundingInterval", "TIMESTAMP", required=False),
            Field("funding_rate_daily", "$.fundingRateDaily", "DOUBLE", required=False),
        ),
        key=("symbol", "funding_at"),
        fetch=fetch_funding_rates,
        description="Funding events of the perpetuals (interval encoded as a time after 2000-01-01)",
    ),
]
