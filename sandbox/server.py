"""The sandbox HTTP server: venues under /<venue>, control under /_sandbox, on one aiohttp app.

Requests to a venue pass the rate limiter, then the fault middleware (which may answer for the venue or
rework its answer), then the venue's handler. `SandboxServer` runs the app on a free port in a background
thread for tests:

    with SandboxServer(seed=7, clock="2026-11-27T00:30:00Z") as sb:
        httpx.get(sb.url + "/okx/api/v5/public/funding-rate-history", params={"instId": "BTC-USDT-SWAP"})
"""
from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import socket
import threading
from collections.abc import Iterable

from aiohttp import web

from sandbox import aggregators, chains, control, streams
from sandbox import faults as faultlib
from sandbox.client import SandboxClient
from sandbox.market import Market
from sandbox.ratelimit import RateLimiter
from sandbox.state import STATE_KEY, SandboxState, SimClock
from sandbox.venues import MODULES as VENUE_MODULES
from sandbox.venues._common import Reply, gateway_page

# Reference aggregators are mounted, rate-limited and faulted exactly like venues.
MODULES = {**VENUE_MODULES, **aggregators.MODULES}
# On-chain providers (sandbox/chains) too.
MODULES.update(chains.MODULES)

# paging parameters: two requests differing only in these belong to the same stream of pages
_CURSOR_PARAMS = {"startTime", "endTime", "before", "after", "start", "cursor", "start_timestamp", "end_timestamp",
                  "limit", "count"}


def _venue_of(request: web.Request) -> str | None:
    head = request.path.split("/", 2)[1] if request.path.count("/") >= 1 else ""
    return head if head in MODULES else None


@web.middleware
async def _rate_limit(request: web.Request, handler):
    venue = _venue_of(request)
    if venue is not None:
        limiter = request.app[STATE_KEY].limiter
        wait = limiter.check(venue, limiter.cost(venue, request.query))
        if wait is not None:
            return MODULES[venue].throttled(request, wait)
    return await handler(request)


def _page_key(venue: str, request: web.Request, body: str) -> tuple:
    params = tuple(sorted((k, v) for k, v in request.query.items() if k not in _CURSOR_PARAMS))
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        doc = body
    if isinstance(doc, dict):
        doc = tuple(sorted((k, str(v)) for k, v in doc.items() if k not in _CURSOR_PARAMS))
    return venue, request.path, params, str(doc)


def _copy(resp: web.Response, body: bytes) -> web.Response:
    headers = {k: v for k, v in resp.headers.items() if k.lower() not in ("content-length", "content-type")}
    return web.Response(body=body, status=resp.status, headers=headers, content_type=resp.content_type)


async def _reset(request: web.Request, resp: web.Response) -> web.StreamResponse:
    """Promise the whole body, send half of it, then drop the connection."""
    body = resp.body
    stream = web.StreamResponse(status=resp.status)
    stream.content_type = resp.content_type
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.abort()
    return stream


@web.middleware
async def _faults(request: web.Request, handler):
    venue = _venue_of(request)
    if venue is None:
        return await handler(request)
    st = request.app[STATE_KEY]
    body_text = await request.text() if request.body_exists else ""
    target = request.path_qs[len(venue) + 1:] + ("\n" + body_text if body_text else "")
    key = _page_key(venue, request, body_text)
    fault = st.faults.take(venue, target)
    module = MODULES[venue]
    kind = fault.kind if fault else None
    params = fault.params if fault else {}
    if kind == "http_429":
        return module.throttled(request, float(params.get("retry_after", 1)))
    if kind == "http_500":
        status = int(params.get("status", 500))
        return gateway_page(status) if status in (502, 503, 504) else module.server_error(request, status)
    if kind == "timeout":
        await asyncio.sleep(float(params.get("seconds", 10)))
    if kind == "repeat_page" and key in st.last_pages:
        body, content_type = st.last_pages[key]
        return web.Response(body=body, content_type=content_type)
    resp = await handler(request)
    if not isinstance(resp, web.Response) or not isinstance(resp.body, bytes):
        return resp
    if kind in (None, "timeout", "repeat_page"):
        if resp.status == 200:
            st.last_pages[key] = (resp.body, resp.content_type)
        return resp
    if kind == "reset":
        return await _reset(request, resp)
    return _copy(resp, faultlib.transform(kind, resp.body, params))


@web.middleware
async def _venue_date(request: web.Request, handler):
    # Venues send a Date header (RFC 9110 §6.6.1); the sandbox's is its simulated clock, so a client judging
    # what a retention-limited page still held (ingest.spec.VenueClock) reads the venue's time, not its own.
    resp = await handler(request)
    if isinstance(resp, web.StreamResponse) and not resp.prepared:
        resp.headers["Date"] = email.utils.formatdate(request.config_dict[STATE_KEY].now_ms() / 1000, usegmt=True)
    return resp


@web.middleware
async def _replies(request: web.Request, handler):
    try:
        return await handler(request)
    except Reply as reply:
        return reply.response


def build_app(seed: int = 7, clock: dt.datetime | str | None = None, faults: Iterable[dict | str] | None = None,
              rate_limit_scale: float = 1.0, documented_rate_limits: bool = False) -> web.Application:
    """The whole sandbox as one aiohttp application.

    clock: the simulated now (default: market.DEFAULT_NOW, frozen); faults: specs installed at start
    (dicts, or "venue:kind[:count[:path]]"); rate_limit_scale: multiplies the per-venue limits (<= 0: none).
    """
    app = web.Application(middlewares=[_venue_date, _rate_limit, _faults, _replies])
    state = SandboxState(seed=seed, market=Market(seed), clock=SimClock(clock),
                         faults=faultlib.FaultBook(tuple(MODULES)), limiter=RateLimiter(rate_limit_scale,
                                                                       documented=documented_rate_limits))
    app[STATE_KEY] = state
    for spec in faults or ():
        state.faults.add(spec)
    control.register(app)
    aggregators.register_control(app)
    chains.register_control(app)  # /_sandbox/chains: an Ethereum endpoint as a pruned node
    streams.register_control(app)  # websocket hub (the venues add their ws routes) and /_sandbox/ws
    for name, module in MODULES.items():
        sub = web.Application()
        module.register(sub)
        app.add_subapp(f"/{name}", sub)
    return app


class SandboxServer(SandboxClient):
    """The sandbox on a background thread, for tests and scripts.

    Starts on a free port unless told otherwise; `url` is the base (no trailing slash). Use as a context
    manager, or call start() / stop(). Steer it through the control API it inherits (sandbox.client).
    """

    def __init__(self, seed: int = 7, clock: dt.datetime | str | None = None,
                 faults: Iterable[dict | str] | None = None, host: str = "127.0.0.1", port: int = 0,
                 rate_limit_scale: float = 1.0):
        self.app = build_app(seed, clock, faults, rate_limit_scale)
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self) -> SandboxState:
        return self.app[STATE_KEY]

    def start(self) -> SandboxServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
                loop.run_until_complete(self._runner.setup())
                loop.run_until_complete(web.SockSite(self._runner, sock).start())
            except BaseException as exc:  # surfaced to the caller of start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="sandbox-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop and self._thread and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
