"""One module per venue. Each is mounted under /<NAME> and exports:

- NAME: the venue key and URL prefix ("bybit" -> /bybit/...).
- register(app): adds the venue's routes (HTTP now, websocket later: app.router.add_get(path, ws_handler)
  works the same) to the venue's own sub-application. Handlers read the shared state through
  sandbox.venues._common (market, clock).
- throttled(request, retry_after) and server_error(request, status): the venue's own 429 and 5xx answers,
  used by the rate limiter and the fault middleware.
"""
from __future__ import annotations

from types import ModuleType

from sandbox.venues import binance, binance_options, bitmex, bybit, deribit, hyperliquid, okx

MODULES: dict[str, ModuleType] = {m.NAME: m for m in (binance, binance_options, bybit, okx, deribit, bitmex, hyperliquid)}
