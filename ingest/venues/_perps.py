"""Each venue's own name for its perpetual on an asset, as the venue modules call it.

Reference aggregators name markets their own way; they are matched to the warehouse's venues through
these names, so an aggregator's figure covers exactly the contracts the venue modules ingest.
"""
from __future__ import annotations

from ingest.venues import binance, bitmex, bybit, deribit, okx

_BY_VENUE = {
    "binance": binance.perp_symbol,
    "bybit": bybit.perp_symbol,
    "okx": okx.swap_inst,
    "deribit": deribit.perp_instrument,
    "bitmex": lambda asset: bitmex.PERPS[asset],
    "hyperliquid": lambda asset: asset,  # Hyperliquid names the perpetual by its coin
}
VENUES = tuple(_BY_VENUE)


def perp_symbol(venue: str, asset: str) -> str:
    if venue not in _BY_VENUE:
        raise KeyError(f"no perpetual naming for venue {venue!r}; known: {', '.join(VENUES)}")
    return _BY_VENUE[venue](asset)
