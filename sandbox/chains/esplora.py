"""The Esplora HTTP API that mempool.space and blockstream.info serve, for one provider of the world.

GET /api/address/:address                      {address, chain_stats, mempool_stats}
GET /api/address/:address/txs/chain[/:last_seen] 25 confirmed transactions, newest first
GET /api/blocks/tip/height                     plain-text height
Errors are plain text, as Esplora writes them ("Invalid Bitcoin address", HTTP 400).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web

from ingest import contracts  # the documented limits: ingest/venues/<venue>/contract.yml, ingest/onchain/*.yml
from sandbox import rng
from sandbox.chains import world
from sandbox.venues._common import Reply, json_response, now_ms, state, text_response

PAGE = contracts.max_limit("mempool_space", "address_txs")
_ADDRESS = re.compile(r"^(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|bc1[02-9ac-hj-np-z]{8,87})$")


def _address(request: web.Request) -> str:
    address = request.match_info["address"]
    if not _ADDRESS.match(address):
        raise Reply(text_response("Invalid Bitcoin address", 400))
    return address


def _script(address: str) -> dict:
    kind = "v0_p2wpkh" if address.startswith("bc1q") and len(address) == 42 else (
        "v0_p2wsh" if address.startswith("bc1q") else "v1_p2tr" if address.startswith("bc1p") else
        "p2sh" if address.startswith("3") else "p2pkh")
    digest = rng.hex_id(0, "script", address, length=40)
    return {"scriptpubkey": f"0014{digest}", "scriptpubkey_asm": f"OP_0 OP_PUSHBYTES_20 {digest}",
            "scriptpubkey_type": kind, "scriptpubkey_address": address}


def tx_json(tx: world.BtcTx) -> dict:
    vin = [{"txid": rng.hex_id(0, "prev", tx.txid, i, length=64), "vout": i % 3,
            "prevout": {**_script(leg.address), "value": leg.value}, "scriptsig": "", "scriptsig_asm": "",
            "witness": ["3044" + rng.hex_id(0, "sig", tx.txid, i, length=136)], "is_coinbase": False,
            "sequence": 4294967293} for i, leg in enumerate(tx.vin)]
    vout = [{**_script(leg.address), "value": leg.value} for leg in tx.vout]
    size = 10 + 68 * len(vin) + 31 * len(vout)
    return {"txid": tx.txid, "version": 2, "locktime": 0, "vin": vin, "vout": vout, "size": size,
            "weight": size * 4 - 3 * 10, "fee": tx.fee,
            "status": {"confirmed": True, "block_height": tx.height,
                       "block_hash": rng.hex_id(0, "btc-block", tx.height, length=64),
                       "block_time": tx.block_time}}


def routes(model_provider: str) -> Callable[[web.Application], None]:
    async def address(request: web.Request) -> web.Response:
        addr = _address(request)
        stats = world.btc_stats(state(request).seed, addr, now_ms(request), model_provider)
        empty = {"funded_txo_count": 0, "funded_txo_sum": 0, "spent_txo_count": 0, "spent_txo_sum": 0,
                 "tx_count": 0}
        return json_response({"address": addr, "chain_stats": stats, "mempool_stats": empty})

    async def txs_chain(request: web.Request) -> web.Response:
        addr = _address(request)
        txs = world.btc_txs(state(request).seed, addr, now_ms(request))
        last_seen = request.match_info.get("last_seen")
        start = 0
        if last_seen:
            ids = [t.txid for t in txs]
            if last_seen not in ids:
                raise Reply(text_response("Invalid hex string", 400))
            start = ids.index(last_seen) + 1
        return json_response([tx_json(t) for t in txs[start:start + PAGE]])

    async def tip_height(request: web.Request) -> web.Response:
        return text_response(str(world.btc_tip(now_ms(request))[0]), 200)

    def register(app: web.Application) -> None:
        app.router.add_get("/api/address/{address}", address)
        app.router.add_get("/api/address/{address}/txs/chain", txs_chain)
        app.router.add_get("/api/address/{address}/txs/chain/{last_seen}", txs_chain)
        app.router.add_get("/api/blocks/tip/height", tip_height)

    return register


def throttled(request: web.Request, retry_after: float) -> web.Response:
    resp = text_response("Too Many Requests", 429)
    resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def server_error(request: web.Request, status: int) -> web.Response:
    return text_response("Internal Server Error", status)
