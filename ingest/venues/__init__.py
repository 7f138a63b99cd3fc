"""The registry of sources: one literal entry per source, naming the code that ingests it.

Every venue is a package of one small shape, ingest/venues/<venue>/:

    __init__.py   DATASETS (the order the daily run fetches them in), perp_symbol(asset), PROTOCOL (None
                  when the venue has no liquidation websocket)
    api.py        the venue's conventions every dataset shares: its envelope, its instrument names
    <concern>.py  REST datasets, one module per concern (funding.py, markets.py, liquidations.py, ...)
    ws.py         its websocket protocol and the `liquidations_ws` records it lands
    contract.yml  what its documentation says, page by page (ingest.contracts reads it)

The reference aggregators are packages of the same shape without perp_symbol or PROTOCOL; the on-chain
providers are modules in ingest/onchain/ with their contracts beside them. Nothing is discovered: a source
not listed here does not exist for the daily run, the stream collector, the contracts or the config check.
Adding one means adding its package, a line here and a block in sources.yml.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.spec import Dataset
    from ingest.stream.protocols import Protocol

# exchanges whose contracts the warehouse sums
VENUES = {
    "binance": "ingest.venues.binance",
    "bybit": "ingest.venues.bybit",
    "okx": "ingest.venues.okx",
    "deribit": "ingest.venues.deribit",
    "bitmex": "ingest.venues.bitmex",
    "hyperliquid": "ingest.venues.hyperliquid",
}
# reference aggregators (kind: aggregator): corroborate the venue sums in marts.headline_figures
AGGREGATORS = {
    "coinalyze": "ingest.venues.coinalyze",
    "coinglass": "ingest.venues.coinglass",
}
# on-chain providers (kind: onchain): balances of the entity registry's addresses; two sources may share
# one module when they speak the same protocol to different hosts
ONCHAIN = {
    "mempool_space": "ingest.onchain.mempool_space",
    "blockstream": "ingest.onchain.blockstream",
    "eth_rpc_a": "ingest.onchain.eth_rpc",
    "eth_rpc_b": "ingest.onchain.eth_rpc",
    "trongrid": "ingest.onchain.trongrid",
    "tron_fullnode": "ingest.onchain.tron_fullnode",
}
# source key -> module path, every kind (what the config check and the daily run look sources up in)
MODULES = {**VENUES, **AGGREGATORS, **ONCHAIN}

_INGEST_DIR = Path(__file__).resolve().parent.parent
CONTRACT_FILE = "contract.yml"
# An on-chain contract is named for the protocol module beside it (esplora.yml serves mempool_space and
# blockstream), so one file may cover several sources; each file lists its sources under `sources:`.
ONCHAIN_CONTRACTS = ("esplora.yml", "eth_rpc.yml", "trongrid.yml", "tron_fullnode.yml")


def module_for(source: str) -> ModuleType:
    if source not in MODULES:
        raise KeyError(f"no ingest module for source {source!r}; known: {', '.join(sorted(MODULES))}")
    return importlib.import_module(MODULES[source])


def datasets_for(source: str) -> list[Dataset]:
    return list(module_for(source).DATASETS)


def all_datasets() -> dict[str, list[Dataset]]:
    return {name: datasets_for(name) for name in MODULES}


def ws_protocols() -> dict[str, Protocol]:
    """venue -> its websocket protocol, for the venues that stream liquidations (the collector's list)."""
    found = {name: module_for(name).PROTOCOL for name in VENUES}
    return {name: proto for name, proto in found.items() if proto is not None}


def contract_files() -> list[Path]:
    """Every contract file: each venue's and aggregator's in its package, the on-chain ones in ingest/onchain/."""
    packages = [_INGEST_DIR.parent.joinpath(*MODULES[s].split(".")) / CONTRACT_FILE for s in {**VENUES, **AGGREGATORS}]
    return packages + [_INGEST_DIR / "onchain" / name for name in ONCHAIN_CONTRACTS]
