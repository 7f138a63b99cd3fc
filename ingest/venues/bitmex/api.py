"""What every BitMEX dataset shares: the source key, the perpetuals' symbols, its time format."""
from __future__ import annotations

import datetime as dt

SOURCE = "bitmex"
PERPS = {"BTC": "XBTUSD", "ETH": "ETHUSD"}


def perp_symbol(asset: str) -> str:
    return PERPS[asset]


def iso_ms(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
