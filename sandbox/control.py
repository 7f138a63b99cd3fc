"""Control endpoints under /_sandbox/: health, the simulated clock, faults and rate limits.

GET  /_sandbox/health                -> {"status": "ok", "seed", "now", "venues"}
GET  /_sandbox/clock                 -> {"now": ISO, "now_ms", "rate"}
POST /_sandbox/clock {"now": ISO, "rate"?: float, "advance_seconds"?: float}
GET  /_sandbox/faults                -> {"faults": [...]}
POST /_sandbox/faults {fault} | [faults] | {"faults": [...]}; fault = {"venue", "kind", "count"?, "path"?, "params"?}
DELETE /_sandbox/faults[?id=N][&venue=okx]  -> {"removed": n}
GET/POST /_sandbox/ratelimit {"scale": float}  (scale <= 0: no limits)
"""
from __future__ import annotations

import json

from aiohttp import web

from sandbox.faults import FaultError
from sandbox.state import STATE_KEY
from sandbox.venues import MODULES


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def _json_body(request: web.Request):
    try:
        return json.loads(await request.read() or b"{}")
    except ValueError:
        return None


async def health(request: web.Request) -> web.Response:
    st = request.app[STATE_KEY]
    return web.json_response({"status": "ok", "seed": st.seed, "now": st.clock.as_dict()["now"],
                              "venues": sorted(MODULES)})


async def clock(request: web.Request) -> web.Response:
    st = request.app[STATE_KEY]
    if request.method == "POST":
        body = await _json_body(request)
        if not isinstance(body, dict):
            return _bad("expected a JSON object")
        try:
            if "now" in body:
                st.clock.set(body["now"], body.get("rate"))
            elif "rate" in body:
                st.clock.set(st.clock.as_dict()["now"], body["rate"])
            if "advance_seconds" in body:
                st.clock.advance(float(body["advance_seconds"]))
        except (TypeError, ValueError) as exc:
            return _bad(f"bad clock value: {exc}")
    return web.json_response(st.clock.as_dict())


async def faults(request: web.Request) -> web.Response:
    st = request.app[STATE_KEY]
    if request.method == "POST":
        body = await _json_body(request)
        specs = body.get("faults") if isinstance(body, dict) and "faults" in body else body
        specs = specs if isinstance(specs, list) else [specs]
        try:
            created = [st.faults.add(spec).as_dict() for spec in specs]
        except FaultError as exc:
            return _bad(str(exc))
        return web.json_response({"faults": created})
    if request.method == "DELETE":
        fid = request.query.get("id")
        if fid is not None and not fid.isdigit():
            return _bad("id must be an integer")
        removed = st.faults.clear(int(fid) if fid else None, request.query.get("venue"))
        return web.json_response({"removed": removed})
    return web.json_response({"faults": st.faults.as_list()})


async def ratelimit(request: web.Request) -> web.Response:
    st = request.app[STATE_KEY]
    if request.method == "POST":
        body = await _json_body(request)
        try:
            st.limiter.scale = float(body["scale"])
        except (TypeError, ValueError, KeyError):
            return _bad('expected {"scale": number}')
    return web.json_response(st.limiter.as_dict())


def register(app: web.Application) -> None:
    app.router.add_get("/_sandbox/health", health)
    app.router.add_route("*", "/_sandbox/clock", clock)
    app.router.add_route("*", "/_sandbox/faults", faults)
    app.router.add_route("*", "/_sandbox/ratelimit", ratelimit)
