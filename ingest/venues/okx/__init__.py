"""OKX v5: USDT swaps, futures and options; liquidations over REST (one day kept) and the websocket."""
from __future__ import annotations

from ingest.venues.okx import funding, liquidations, markets, ws
from ingest.venues.okx.api import SOURCE, swap_inst

DATASETS = [*funding.DATASETS, liquidations.LIQUIDATIONS, *markets.DATASETS, ws.LIQUIDATIONS_WS]
PROTOCOL = ws.PROTOCOL
perp_symbol = swap_inst

__all__ = ["DATASETS", "PROTOCOL", "SOURCE", "perp_symbol", "swap_inst"]
