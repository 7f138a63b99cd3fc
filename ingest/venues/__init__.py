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
    # reference aggregators (kind: aggregator): corroborate the venue sums in marts.headline_figures
    "coinalyze": "ingest.venues.coinalyze",
    "coinglass": "ingest.venues.coinglass",
    # on-chain providers (kind: onchain): balances of the entity registry's addresses
    "mempool_space": "ingest.onchain.mempool_space",
    "blockstream": "ingest.onchain.blockstream",
    "eth_rpc_a": "ingest.onchain.eth_rpc",
    "eth_rpc_b": "ingest.onchain.eth_rpc",
    "trongrid": "ingest.onchain.trongrid",
    "tron_fullnode": "ingest.onchain.tron_fullnode",
}


def module_for(source: str) -> ModuleType:
    if source not in MODULES:
        raise KeyError(f"no ingest module for source {source!r}; known: {', '.join(sorted(MODULES))}")
    return importlib.import_module(MODULES[source])


def datasets_for(source: str) -> list[Dataset]:
    return list(module_for(source).DATASETS)


def all_datasets() -> dict[str, list[Dataset]]:
    return {name: datasets_for(name) for name in MODULES}
