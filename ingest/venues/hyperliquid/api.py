"""What every Hyperliquid dataset shares: the source key; a perpetual is named by its coin."""
from __future__ import annotations

SOURCE = "hyperliquid"


def perp_symbol(asset: str) -> str:
    return asset
