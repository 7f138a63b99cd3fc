"""One module per source. Adding a source means adding a module here and a block in sources.yml."""
from __future__ import annotations

import importlib
from types import ModuleType

from ingest.spec import Dataset

# source key -> module path; on-chain providers live in ingest.onchain
MODULES = {
    "binance": "ingest.venues.binance",
    "bybit": "ingest.venues.bybit",
    "okx": "ingest.venues.okx",
    "deribit": "ingest.venues.deribit",
    "bitmex": "ingest.venues.bitmex",
    "hyperliquid": "ingest.venues.hyperliquid",
}


def module_for(source: str) -> ModuleType:
    if source not in MODULES:
        raise KeyError(f"no ingest module for source {source!r}; known: {', '.join(sorted(MODULES))}")
    return importlib.import_module(MODULES[source])


def datasets_for(source: str) -> list[Dataset]:
    return list(module_for(source).DATASETS)


def all_datasets() -> dict[str, list[Dataset]]:
    return {name: datasets_for(name) for name in MODULES}
