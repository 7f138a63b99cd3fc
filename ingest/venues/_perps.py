"""Each venue's own name for its perpetual on an asset: every venue package's `perp_symbol`.

Reference aggregators name markets their own way; they are matched to the warehouse's venues through
these names, so an aggregator's figure covers exactly the contracts the venue packages ingest.
"""
from __future__ import annotations

from ingest.venues import VENUES as _REGISTERED
from ingest.venues import module_for

VENUES = tuple(_REGISTERED)


def perp_symbol(venue: str, asset: str) -> str:
    if venue not in _REGISTERED:
        raise KeyError(f"no perpetual naming for venue {venue!r}; known: {', '.join(VENUES)}")
    return module_for(venue).perp_symbol(asset)
