"""Reference aggregators of the sandbox (Coinalyze, CoinGlass), mounted like venues under /<name>.

They compute their aggregates from the same simulated market as the venues, so by default they agree
with the warehouse's own sums; `POST /_sandbox/aggregators {"coinglass": {"diverge": 0.2}}` makes one of
them report every figure 20 % higher (0 puts it back), which is what a cross-source check must catch.

    GET  /_sandbox/aggregators  -> {"coinalyze": {"diverge": 0.0}, "coinglass": {"diverge": 0.0, "plan": ..}}
    POST /_sandbox/aggregators {"<name>": {"diverge": float}}  (unknown names or values: 400)
    POST /_sandbox/aggregators {"coinglass": {"plan": "hobbyist"}}  the key's plan (default standard: every
         interval); a plan refuses the intervals it does not serve, as CoinGlass does
    DELETE /_sandbox/aggregators  -> every aggregator back to the venues' figures
"""
from __future__ import annotations

import json
from types import ModuleType

from aiohttp import web

from sandbox.aggregators import coinalyze, coinglass
from sandbox.aggregators._common import SETTINGS_KEY, Settings

MODULES: dict[str, ModuleType] = {m.NAME: m for m in (coinalyze, coinglass)}


async def control(request: web.Request) -> web.Response:
    st = request.app[SETTINGS_KEY]
    if request.method == "POST":
        try:
            body = json.loads(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object keyed by aggregator")
            st.update(body)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
    elif request.method == "DELETE":
        st.reset()
    return web.json_response(st.as_dict())


def register_control(app: web.Application) -> None:
    """Adds the settings and /_sandbox/aggregators to the top-level app (the aggregators read it)."""
    app[SETTINGS_KEY] = Settings(tuple(MODULES))
    app.router.add_route("*", "/_sandbox/aggregators", control)
