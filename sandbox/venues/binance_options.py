"""Binance European options (eapi), mounted under /binance-options.

Only the liveness routes for now; option endpoints build on sandbox.options (instrument names via
OptionInstrument.name with venue "binance", e.g. BTC-261127-95000-C). Errors share Binance's {"code", "msg"}.
"""
from __future__ import annotations

from aiohttp import web

from sandbox.venues import binance
from sandbox.venues._common import json_response, now_ms

NAME = "binance-options"
throttled = binance.throttled
server_error = binance.server_error


async def ping(request: web.Request) -> web.Response:
    return json_response({})


async def server_time(request: web.Request) -> web.Response:
    return json_response({"serverTime": now_ms(request)})


def register(app: web.Application) -> None:
    app.router.add_get("/eapi/v1/ping", ping)
    app.router.add_get("/eapi/v1/time", server_time)
    from sandbox.venues import binance_markets  # option symbols and open interest

    binance_markets.register_options(app)
