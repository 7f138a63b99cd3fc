"""Hyperliquid: everything is POST /info with a JSON body naming the request type; no liquidation websocket."""
from __future__ import annotations

from ingest.venues.hyperliquid import funding, markets
from ingest.venues.hyperliquid.api import SOURCE, perp_symbol

DATASETS = [*funding.DATASETS, *markets.DATASETS]
PROTOCOL = None

__all__ = ["DATASETS", "PROTOCOL", "SOURCE", "perp_symbol"]
