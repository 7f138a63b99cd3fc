"""What every OKX v5 dataset shares: the source key, instrument names, the {"code", "msg", "data"} envelope."""
from __future__ import annotations

from typing import Any

from ingest.spec import FetchContext
from ingest.venues._paging import check_envelope, require_list

SOURCE = "okx"


def swap_inst(asset: str) -> str:
    return f"{asset}-USDT-SWAP"


def option_family(asset: str) -> str:
    return f"{asset}-USD"


def get_data(ctx: FetchContext, path: str, params: dict[str, Any]) -> list[Any]:
    body = check_envelope(SOURCE, ctx.client.get_json(path, params), code_key="code", ok="0", msg_key="msg")
    return require_list(SOURCE, body.get("data"), f"{path} data")
