"""TronGrid v1, mounted under /trongrid: GET /v1/accounts/{address}.

Answers {"data": [account], "success": true, "meta": {"at", "page_size"}}; `data` is empty for an account
that never existed. An address that is not a valid base58check Tron address is refused with HTTP 400 and
{"success": false, "error", "statusCode"}; a TRON-PRO-API-KEY header that is not a key (UUID form) with
401 "ApiKey not exists". Rate limiting answers 429 with TronGrid's frequency-limit message.
"""
from __future__ import annotations

import re

from aiohttp import web

from sandbox.chains import world
from sandbox.venues._common import Reply, json_response, now_ms, state

NAME = "trongrid"
KEY_HEADER = "TRON-PRO-API-KEY"
_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _fail(status: int, message: str) -> web.Response:
    return json_response({"success": False, "error": message, "statusCode": status}, status=status)


def _check_key(request: web.Request) -> None:
    key = request.headers.get(KEY_HEADER)
    if key is not None and not _KEY.match(key):
        raise Reply(_fail(401, "ApiKey not exists"))


async def account(request: web.Request) -> web.Response:
    _check_key(request)
    address = request.match_info["address"]
    hex_address = world.tron_hex(address)
    if hex_address is None:
        raise Reply(_fail(400, f"Invalid address provided: {address}"))
    now = now_ms(request)
    held = world.tron_account(state(request).seed, address, now)
    data = []
    if held is not None:
        sun, usdt = held
        created = world.to_ms(world.FIRST_DAY)
        data.append({
            "address": hex_address, "balance": sun, "create_time": created,
            "latest_opration_time": now - 60_000, "free_net_usage": 0,
            "trc20": [{world.USDT_TRC20: str(usdt)}],
            "account_resource": {"energy_window_size": 28800, "latest_consume_time_for_energy": now - 120_000},
            "owner_permission": {"permission_name": "owner", "threshold": 1,
                                 "keys": [{"address": hex_address, "weight": 1}]},
        })
    return json_response({"data": data, "success": True, "meta": {"at": now, "page_size": len(data)}})


def register(app: web.Application) -> None:
    app.router.add_get("/v1/accounts/{address}", account)


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = _fail(429, "The key exceeds the frequency limit(15), and the query server is suspended for 30s")
    resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return _fail(status, "Internal Server Error")
