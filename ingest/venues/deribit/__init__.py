"""Deribit JSON-RPC over HTTP GET (/api/v2/public/...) and its websocket: perpetuals, futures, options."""
from __future__ import annotations

from ingest.venues.deribit import funding, markets, trades, ws
from ingest.venues.deribit.api import SOURCE, perp_instrument

DATASETS = [*funding.DATASETS, trades.FUTURE_TRADES, *markets.DATASETS, ws.LIQUIDATIONS_WS]
PROTOCOL = ws.PROTOCOL
perp_symbol = perp_instrument

__all__ = ["DATASETS", "PROTOCOL", "SOURCE", "perp_instrument", "perp_symbol"]
