"""A TRON full node's HTTP API (java-tron FullNode), mounted under /tron_fullnode, answering from the same
world as TronGrid (sandbox.chains.world): the two Tron providers agree unless a fault says otherwise.

POST /wallet/getnowblock               {"blockID", "block_header": {"raw_data": {"number", "timestamp", ...}}}
POST /wallet/getaccount                the account with `visible: true` addresses; `{}` for an address never
                                       activated; `balance` left out when it is 0 (protobuf's JSON form omits
                                       default values)
POST /wallet/triggerconstantcontract   balanceOf(address) on the USDT contract: {"result": {"result": true},
                                       "constant_result": [64 hex digits], "transaction": {..., "raw_data":
                                       {..., "timestamp": <node clock>}}}
A body the node cannot use is answered HTTP 200 with {"Error": "<exception> : <message>"}, as java-tron's
servlets do (https://tronprotocol.github.io/documentation-en/api/http/). Blocks come every 3 seconds
(https://developers.tron.network/docs/super-representatives). Blocks are served without their transactions:
the ingest reads only the header.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web

from sandbox import rng
from sandbox.chains import world
from sandbox.venues._common import Reply, json_response, now_ms, state

NAME = "tron_fullnode"
BLOCK_MS = 3_000
# a block of the main chain and its time, the anchor of the sandbox's 3-second clock
T0_BLOCK, T0_MS = 76_000_000, world.to_ms(world.FIRST_DAY)
BALANCE_OF = "70a08231"  # keccak256("balanceOf(address)")[:4]


def _error(message: str) -> web.Response:
    return json_response({"Error": message})


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise Reply(_error("class com.google.protobuf.InvalidProtocolBufferException : Expect a JSON object")) from exc
    if not isinstance(body, dict):
        raise Reply(_error("class com.google.protobuf.InvalidProtocolBufferException : Expect message object"))
    return body


def _visible_address(body: dict, key: str) -> str:
    address = body.get(key)
    if body.get("visible") is not True or not isinstance(address, str) or world.tron_hex(address) is None:
        raise Reply(_error(f"class java.lang.IllegalArgumentException : Invalid {key}: {address!r}"))
    return address


def head(now: int) -> tuple[int, int]:
    n = max(0, (now - T0_MS) // BLOCK_MS)
    return T0_BLOCK + n, T0_MS + n * BLOCK_MS


def _block_id(seed: int, number: int) -> str:
    return f"{number:016x}" + rng.hex_id(seed, "tron-block", number, length=48)


async def now_block(request: web.Request) -> web.Response:
    await _body(request)
    seed = state(request).seed
    number, time_ms = head(now_ms(request))
    return json_response({
        "blockID": _block_id(seed, number),
        "block_header": {
            "raw_data": {"number": number, "txTrieRoot": rng.hex_id(seed, "tron-txroot", number, length=64),
                         "witness_address": "TLyqzVGLV1srkB7dToTAEqgDSfPtXRJZYH",
                         "parentHash": _block_id(seed, number - 1), "version": 31, "timestamp": time_ms},
            "witness_signature": rng.hex_id(seed, "tron-sig", number, length=130),
        },
    })


async def account(request: web.Request) -> web.Response:
    body = await _body(request)
    address = _visible_address(body, "address")
    now = now_ms(request)
    held = world.tron_account(state(request).seed, address, now)
    if held is None:
        return json_response({})
    sun, _ = held
    created = world.to_ms(world.FIRST_DAY)
    doc: dict[str, Any] = {"address": address}
    if sun:
        doc["balance"] = sun
    doc.update({
        "create_time": created, "latest_opration_time": now - 60_000, "latest_consume_free_time": now - 90_000,
        "net_window_size": 28800,
        "account_resource": {"energy_window_size": 28800, "latest_consume_time_for_energy": now - 120_000},
        "owner_permission": {"permission_name": "owner", "threshold": 1, "keys": [{"address": address, "weight": 1}]},
        "active_permission": [{"type": "Active", "id": 2, "permission_name": "active", "threshold": 1,
                               "operations": "7fff1fc0033ec30f000000000000000000000000000000000000000000000000",
                               "keys": [{"address": address, "weight": 1}]}],
        "frozenV2": [{}, {"type": "ENERGY"}, {"type": "TRON_POWER"}],
        "asset_optimized": True,
    })
    return json_response(doc)


async def trigger_constant(request: web.Request) -> web.Response:
    body = await _body(request)
    owner = _visible_address(body, "owner_address")
    contract = _visible_address(body, "contract_address")
    now = now_ms(request)
    seed = state(request).seed
    if contract != world.USDT_TRC20:
        raise Reply(_error("class org.tron.core.exception.ContractValidateException : Smart contract is not exist."))
    parameter = str(body.get("parameter") or "")
    if body.get("function_selector") != "balanceOf(address)" or len(parameter) != 64:
        return json_response({"result": {"code": "CONTRACT_EXE_ERROR", "message": "REVERT opcode executed"},
                              "energy_used": 0, "transaction": {}})
    holder = world.tron_address(parameter[-40:]) if parameter[:24] == "0" * 24 else None
    held = world.tron_account(seed, holder, now) if holder else None
    units = held[1] if held else 0
    number, _ = head(now)
    data = BALANCE_OF + parameter
    tx_id = hashlib.sha256(f"{owner}{data}{now}".encode()).hexdigest()
    return json_response({
        "result": {"result": True},
        "energy_used": 935,
        "constant_result": [f"{units:064x}"],
        "transaction": {
            "ret": [{}], "visible": True, "txID": tx_id,
            "raw_data": {
                "contract": [{"parameter": {"value": {"data": data, "owner_address": owner,
                                                      "contract_address": contract},
                                            "type_url": "type.googleapis.com/protocol.TriggerSmartContract"},
                              "type": "TriggerSmartContract"}],
                "ref_block_bytes": f"{number & 0xffff:04x}", "ref_block_hash": _block_id(seed, number)[16:32],
                "expiration": head(now)[1] + 60_000, "timestamp": now,
            },
            "raw_data_hex": "0a02" + rng.hex_id(seed, "tron-rawhex", tx_id, length=120),
        },
    })


def register(app: web.Application) -> None:
    app.router.add_post("/wallet/getnowblock", now_block)
    app.router.add_post("/wallet/getaccount", account)
    app.router.add_post("/wallet/triggerconstantcontract", trigger_constant)


def throttled(request: web.Request, retry_after: float) -> web.Response:
    # public nodes in front of java-tron (TronGrid, PublicNode) refuse with HTTP 429 and Retry-After
    resp = json_response({"Error": "rate limit exceeded"}, status=429)
    resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return json_response({"Error": "Internal Server Error"}, status=status)
