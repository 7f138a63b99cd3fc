"""What every Deribit dataset shares: the source key, the perpetual's name, JSON-RPC over HTTP GET."""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError
from ingest.spec import FetchContext

SOURCE = "deribit"


def perp_instrument(asset: str) -> str:
    return f"{asset}-PERPETUAL"


def rpc(ctx: FetchContext, method: str, params: dict[str, Any], *, base_url: str | None = None) -> Any:
    # Deribit answers errors with HTTP 400 and a JSON-RPC error object; both end here.
    body = ctx.client.get_json(f"/api/v2/{method}", params, base_url=base_url, ok_statuses=(200, 400))
    if not isinstance(body, dict) or "error" in body or "result" not in body:
        err = body.get("error") if isinstance(body, dict) else body
        raise SourceError(f"{SOURCE}: {method} error: {err!r}")
    return body["result"]
