"""BitMEX market dataset: the perpetuals' instrument snapshot (open interest, mark, index).

BitMEX keeps no open interest history on /api/v1/instrument, so the day's run reads it and keeps the
instrument's `timestamp`. openInterest is in contracts: XBTUSD is inverse (1 USD a contract), ETHUSD a
quanto (multiplier satoshi per USD of ETH price); staging turns both into coins.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._paging import require_list
from ingest.venues.bitmex.api import PERPS, SOURCE


def fetch_instruments(ctx: FetchContext) -> None:
    # XBTUSD is needed even when only ETH is configured: the quanto's size is quoted in bitcoin
    symbols = sorted({PERPS[a] for a in ctx.source.assets if a in PERPS} | {PERPS["BTC"]})
    for symbol in symbols:
        rows = require_list(SOURCE, ctx.client.get_json("/api/v1/instrument", {"symbol": symbol}), "instrument")
        if not rows:
            raise SourceError(f"{SOURCE}: no instrument {symbol}")


DATASETS = [
    Dataset(
        name="instrument_snapshots",
        records="$",
        fields=(
            Field("symbol", "$.symbol"),
            Field("timestamp", "$.timestamp", "TIMESTAMP"),
            Field("open_interest", "$.openInterest", "DOUBLE", min=0),
            Field("mark_price", "$.markPrice", "DOUBLE", min=0),
            Field("indicative_settle_price", "$.indicativeSettlePrice", "DOUBLE", required=False),
            Field("multiplier", "$.multiplier", "DOUBLE"),
            Field("is_inverse", "$.isInverse", "BOOLEAN"),
            Field("is_quanto", "$.isQuanto", "BOOLEAN"),
            Field("underlying_to_position_multiplier", "$.underlyingToPositionMultiplier", "DOUBLE", required=False),
            Field("typ", "$.typ", required=False),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_instruments,
        description="Perpetual instruments as of the run: open interest (contracts), mark and index price",
    ),
]
