"""Bybit v5: linear USDT perpetuals and options; liquidations over the websocket only."""
from __future__ import annotations

from ingest.venues.bybit import funding, markets, ws
from ingest.venues.bybit.api import SOURCE, perp_symbol

DATASETS = [*funding.DATASETS, *markets.DATASETS, ws.LIQUIDATIONS_WS]
PROTOCOL = ws.PROTOCOL

__all__ = ["DATASETS", "PROTOCOL", "SOURCE", "perp_symbol"]
