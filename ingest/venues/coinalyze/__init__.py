"""Coinalyze (reference aggregator): per-market daily liquidations, open interest and hourly funding.

markets.py finds its perpetuals that are the venue packages' contracts; history.py reads their candles.
"""
from __future__ import annotations

from ingest.venues.coinalyze import history, markets
from ingest.venues.coinalyze.api import SOURCE

DATASETS = [*markets.DATASETS, *history.DATASETS]

__all__ = ["DATASETS", "SOURCE"]
