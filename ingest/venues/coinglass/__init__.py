"""CoinGlass API v4 (reference aggregator): coin-level liquidations, open interest and funding."""
from __future__ import annotations

from ingest.venues.coinglass import history
from ingest.venues.coinglass.api import SOURCE

DATASETS = list(history.DATASETS)

__all__ = ["DATASETS", "SOURCE"]
