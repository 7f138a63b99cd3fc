"""Coinalyze's markets: which of its perpetuals are the contracts the venue packages ingest.

Markets are found, not hard-coded: /exchanges names each exchange code, /future-markets lists the
perpetuals with the venue's own symbol, and the market of a venue is the perpetual whose
`symbol_on_exchange` is the symbol the venue package ingests. A venue Coinalyze does not list is noted
in the run manifest (the figures then say the aggregator covers fewer venues), not treated as an error.
"""
from __future__ import annotations

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._perps import VENUES, perp_symbol
from ingest.venues.coinalyze.api import SOURCE, listing

# Coinalyze's display name of each venue (matched case-insensitively against /exchanges).
EXCHANGE_NAMES = {"binance": "Binance", "bybit": "Bybit", "okx": "OKX", "deribit": "Deribit", "bitmex": "BitMEX",
                  "hyperliquid": "Hyperliquid"}


def venues(ctx: FetchContext) -> list[str]:
    return [v for v in ctx.source.extra.get("venues") or VENUES if v in EXCHANGE_NAMES]


def find_markets(ctx: FetchContext) -> dict[str, str]:
    """Coinalyze symbol -> "venue:asset" for the perpetuals the venue packages ingest."""
    codes = {str(e.get("name", "")).lower(): e.get("code") for e in listing(ctx, "/exchanges") if isinstance(e, dict)}
    markets = [m for m in listing(ctx, "/future-markets") if isinstance(m, dict) and m.get("is_perpetual")]
    found: dict[str, str] = {}
    unmatched = []
    for venue in venues(ctx):
        code = codes.get(EXCHANGE_NAMES[venue].lower())
        for asset in ctx.source.assets:
            want = perp_symbol(venue, asset).upper()
            match = next((m["symbol"] for m in markets if m.get("exchange") == code
                          and str(m.get("symbol_on_exchange", "")).upper() == want), None)
            if match:
                found[match] = f"{venue}:{asset}"
            else:
                unmatched.append(f"{venue}:{asset}")
    ctx.notes["markets"] = found
    if unmatched:
        ctx.notes["unmatched"] = unmatched
    if not found:
        raise SourceError(f"{SOURCE}: none of the configured venues' perpetuals is listed in /future-markets")
    return found


def fetch_markets(ctx: FetchContext) -> None:
    listing(ctx, "/future-markets")


def fetch_exchanges(ctx: FetchContext) -> None:
    listing(ctx, "/exchanges")


DATASETS = [
    Dataset(
        name="exchanges",
        records="$",
        fields=(Field("code", "$.code"), Field("name", "$.name"), Field("observed_date", "env:$.date", "DATE")),
        key=("code", "observed_date"),
        fetch=fetch_exchanges,
        description="Exchange codes as named on the run day",
    ),
    Dataset(
        name="future_markets",
        records="$",
        fields=(
            Field("symbol", "$.symbol"),
            Field("exchange", "$.exchange"),
            Field("symbol_on_exchange", "$.symbol_on_exchange"),
            Field("base_asset", "$.base_asset"),
            Field("quote_asset", "$.quote_asset", required=False),
            Field("is_perpetual", "$.is_perpetual", "BOOLEAN"),
            Field("margined", "$.margined", required=False),
            Field("denominated_in", "$.oi_lq_vol_denominated_in", required=False),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_markets,
        description="Futures markets as listed on the run day (maps a Coinalyze symbol to a venue's contract)",
    ),
]
