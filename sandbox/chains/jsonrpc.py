"""An Ethereum JSON-RPC endpoint (POST /, single calls or batches) answering from the world.

Methods: eth_chainId, net_version, eth_blockNumber, eth_getBlockByNumber, eth_getBalance (any past block:
an archive node, unless /_sandbox/chains gives the endpoint a state window). Errors follow geth: -32700 parse
error, -32600 invalid request (also an empty or oversized batch, answered as one error object), -32601 unknown
method, -32602 invalid params, -32000 "header not found" for a block beyond the head.

A pruned node (state window N) keeps the state of its N most recent blocks only; eth_getBalance at an older
block answers -32000 with geth's missing-node error (hash scheme, trie.MissingNodeError: "missing trie node
<hash> (path <path>) <err>"; https://docs.chainstack.com/docs/evm-node-returns-missing-trie-node shows the
same answer to eth_getBalance at an old block). Blocks themselves stay readable: a pruned node keeps
headers. 429 and 5xx carry a JSON-RPC error body.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox import rng
from sandbox.chains import world
from sandbox.chains._settings import chain_settings
from sandbox.venues._common import json_response, now_ms, state

MAX_BATCH = contracts.max_limit("eth_rpc_a", "rpc_calls")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_QUANTITY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")


class RpcError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _error(call_id: Any, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": call_id, "error": {"code": code, "message": message}}


def _block_number(tag: Any, head: int) -> int:
    if tag in ("latest", "safe", "finalized", "pending"):
        return head if tag in ("latest", "pending") else head - (32 if tag == "safe" else 64)
    if tag == "earliest":
        return 0
    if not isinstance(tag, str) or not _QUANTITY.match(tag):
        raise RpcError(-32602, f"invalid argument 1: hex string without 0x prefix or with leading zeros: {tag!r}")
    return int(tag, 16)


def _block(seed: int, number: int) -> dict:
    return {"number": hex(number), "hash": world.eth_block_hash(seed, number),
            "parentHash": world.eth_block_hash(seed, number - 1), "timestamp": hex(world.eth_block_time(number)),
            "miner": "0x95222290dd7278aa3ddd389cc1e1d165cc4bafe5", "gasLimit": hex(30_000_000),
            "gasUsed": hex(12_000_000 + number % 9_000_000), "baseFeePerGas": hex(8_000_000_000 + number % 997),
            "size": hex(60_000 + number % 50_000), "transactions": [], "uncles": []}


def _state_root(seed: int, number: int) -> str:
    return rng.hex_id(seed, "eth-state-root", number, length=64)


def _answer(call: Any, seed: int, head: int, provider: str, state_window: int | None = None) -> dict:
    if not isinstance(call, dict) or call.get("jsonrpc") != "2.0" or not isinstance(call.get("method"), str):
        return _error(call.get("id") if isinstance(call, dict) else None, -32600, "invalid request")
    call_id, method, params = call.get("id"), call["method"], call.get("params") or []
    try:
        if not isinstance(params, list):
            raise RpcError(-32602, "non-array args")
        if method == "eth_chainId":
            result: Any = "0x1"
        elif method == "net_version":
            result = "1"
        elif method == "eth_blockNumber":
            result = hex(head)
        elif method == "eth_getBlockByNumber":
            if not params:
                raise RpcError(-32602, "missing value for required argument 0")
            number = _block_number(params[0], head)
            result = _block(seed, number) if number <= head else None
        elif method == "eth_getBalance":
            if len(params) < 1 or not isinstance(params[0], str) or not _ADDRESS.match(params[0]):
                got = params[0] if params else None
                raise RpcError(-32602, f"invalid argument 0: hex string has length {len(str(got or '')) - 2}, "
                                       "want 40 for common.Address")
            number = _block_number(params[1] if len(params) > 1 else "latest", head)
            if number > head:
                raise RpcError(-32000, "header not found")
            if state_window is not None and number <= head - state_window:
                raise RpcError(-32000, f"missing trie node {_state_root(seed, number)} (path ) <nil>")
            result = hex(world.eth_balance_wei(seed, params[0], number, provider))
        else:
            raise RpcError(-32601, f"the method {method} does not exist/is not available")
    except RpcError as exc:
        return _error(call_id, exc.code, exc.message)
    return {"jsonrpc": "2.0", "id": call_id, "result": result}


def routes(model_provider: str, name: str) -> Callable[[web.Application], None]:
    """The endpoint's routes; `name` is its mount (and key under /_sandbox/chains)."""

    async def rpc(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return json_response(_error(None, -32700, "parse error"))
        seed, head = state(request).seed, world.eth_head(now_ms(request))
        control = chain_settings(request)
        window = control.state_window(name) if control is not None else None
        if isinstance(body, list):
            if not body:
                return json_response(_error(None, -32600, "empty batch"))
            if len(body) > MAX_BATCH:
                return json_response(_error(None, -32600, f"batch size {len(body)} exceeds limit {MAX_BATCH}"))
            return json_response([_answer(call, seed, head, model_provider, window) for call in body])
        return json_response(_answer(body, seed, head, model_provider, window))

    def register(app: web.Application) -> None:
        app.router.add_post("/", rpc)

    return register


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = json_response(_error(None, -32005, "rate limit exceeded"), status=429)
    resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return json_response(_error(None, -32603, "internal error"), status=status)
