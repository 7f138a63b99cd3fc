"""BitMEX REST /api/v1 and realtime websocket: the XBTUSD and ETHUSD perpetuals."""
from __future__ import annotations

from ingest.venues.bitmex import funding, markets, ws
from ingest.venues.bitmex.api import PERPS, SOURCE, perp_symbol

DATASETS = [*funding.DATASETS, *markets.DATASETS, ws.LIQUIDATIONS_WS]
PROTOCOL = ws.PROTOCOL

__all__ = ["DATASETS", "PERPS", "PROTOCOL", "SOURCE", "perp_symbol"]
