"""What every Bybit v5 dataset shares: the source key, the perpetual's symbol, the result envelope."""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError
from ingest.spec import FetchContext
from ingest.venues._paging import check_envelope

SOURCE = "bybit"


def perp_symbol(asset: str) -> str:
    return f"{asset}USDT"


def get_result(ctx: FetchContext, path: str, params: dict[str, Any]) -> dict[str, Any]:
    body = check_envelope(SOURCE, ctx.client.get_json(path, params), code_key="retCode", ok=0, msg_key="retMsg")
    result = body.get("result")
    if not isinstance(result, dict):
        raise SourceError(f"{SOURCE}: {path} answered without a result object")
    return result
