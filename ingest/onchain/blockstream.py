"""Blockstream's Esplora API (https://blockstream.info/api): see ingest.onchain.esplora."""
from ingest.onchain.esplora import DATASETS

__all__ = ["DATASETS"]
