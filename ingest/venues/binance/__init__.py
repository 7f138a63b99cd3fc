"""Binance USD-M futures (fapi) and European options (eapi); liquidations over the websocket only."""
from __future__ import annotations

from ingest.venues.binance import funding, markets, ws
from ingest.venues.binance.api import SOURCE, perp_symbol

DATASETS = [*funding.DATASETS, *markets.DATASETS, ws.LIQUIDATIONS_WS]
PROTOCOL = ws.PROTOCOL

__all__ = ["DATASETS", "PROTOCOL", "SOURCE", "perp_symbol"]
