"""What every Binance dataset shares: the source key, the perpetual's symbol, the error body."""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError
from ingest.venues._paging import require_list

SOURCE = "binance"


def perp_symbol(asset: str) -> str:
    return f"{asset}USDT"


def check_list(body: Any, path: str) -> list[Any]:
    """A list answer; Binance answers an error as {"code", "msg"} with HTTP 200 on some routes."""
    if isinstance(body, dict) and "code" in body:
        raise SourceError(f"{SOURCE}: {path} error {body.get('code')}: {body.get('msg')!r}")
    return require_list(SOURCE, body, path)
