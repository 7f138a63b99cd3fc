"""On-chain data providers of the sandbox, mounted beside the venues (same limiter, faults and clock).

Each module exports what a venue module does (NAME, register, throttled, server_error) and answers
from sandbox.chains.world, which builds on the balance model in sandbox.entities.

An Ethereum endpoint can be made to behave as a pruned (non-archive) node, which keeps the state of
only its most recent blocks (geth's default: 128, https://geth.ethereum.org/docs/fundamentals/sync-modes)
and answers older state queries with an error, as geth does:

    GET    /_sandbox/chains  -> {"eth_rpc_a": {"state_window": null}, ...}  (null: archive node)
    POST   /_sandbox/chains {"eth_rpc_b": {"state_window": 128}}           (unknown names or values: 400)
    DELETE /_sandbox/chains  -> every endpoint back to an archive node
"""
from __future__ import annotations

import json
from types import ModuleType

from aiohttp import web

from sandbox.chains import blockstream, eth_rpc_a, eth_rpc_b, mempool_space, tron_fullnode, trongrid
from sandbox.chains._settings import SETTINGS_KEY, ChainSettings

MODULES: dict[str, ModuleType] = {m.NAME: m for m in (mempool_space, blockstream, eth_rpc_a, eth_rpc_b, trongrid,
                                                      tron_fullnode)}


async def control(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    if request.method == "POST":
        try:
            body = json.loads(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object keyed by endpoint")
            settings.update(body)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
    elif request.method == "DELETE":
        settings.reset()
    return web.json_response(settings.as_dict())


def register_control(app: web.Application) -> None:
    """Adds the settings and /_sandbox/chains to the top-level app (the endpoints read it)."""
    app[SETTINGS_KEY] = ChainSettings()
    app.router.add_route("*", "/_sandbox/chains", control)
