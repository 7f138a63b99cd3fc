"""mempool.space's Esplora API (https://mempool.space/api): see ingest.onchain.esplora."""
from ingest.onchain.esplora import DATASETS

__all__ = ["DATASETS"]
