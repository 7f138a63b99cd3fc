"""Connections, the stream timeline and the pump that pushes due liquidations to each subscriber."""
from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import heapq
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.market import ASSETS, Liquidation, day_of, from_ms, parse_time, to_ms
from sandbox.state import STATE_KEY

log = logging.getLogger(__name__)
_AFTER_ALL = 10**18  # a seq above any real one: a cursor (t, _AFTER_ALL) means "everything at t was sent"
_POLL_S = 0.25  # longest sleep between looks at the timeline (it may be reset at any moment)
_MAX_BATCH = 5000


@dataclass(frozen=True)
class Replay:
    """sim_ms = start_ms + max(0, time.time() - wall_epoch) * rate * 1000, held at end_ms."""

    start_ms: int
    rate: float
    wall_epoch: float
    end_ms: int | None = None

    def now_ms(self) -> int:
        t = self.start_ms + int(max(0.0, time.time() - self.wall_epoch) * self.rate * 1000)
        return min(t, self.end_ms) if self.end_ms is not None else t

    def wall_wait(self, t_ms: int) -> float:
        if self.end_ms is not None and t_ms > self.end_ms:
            return float("inf")
        return self.wall_epoch + (t_ms - self.start_ms) / (self.rate * 1000) - time.time()

    def as_dict(self) -> dict:
        return {"start": from_ms(self.start_ms).isoformat(), "rate": self.rate, "wall_epoch": self.wall_epoch,
                "end": from_ms(self.end_ms).isoformat() if self.end_ms is not None else None,
                "now": from_ms(self.now_ms()).isoformat()}


class Hub:
    """Every open websocket of the sandbox, the replay (if any) and per-day event lists."""

    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self.replay: Replay | None = None
        self.replay_id = 0
        self.sent: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._days: dict[tuple, tuple[list[tuple[int, int]], list[Liquidation]]] = {}

    def next_id(self) -> int:
        return next(self._ids)

    def day_events(self, market, venue: str, day: dt.date) -> tuple[list[tuple[int, int]], list[Liquidation]]:
        key = (market.seed, venue, day)
        if key not in self._days:
            merged = sorted((e for a in ASSETS for e in market.liquidations(venue, a, day)),
                            key=lambda e: (e.time_ms, e.seq))
            if len(self._days) > 64:
                self._days.clear()
            self._days[key] = ([(e.time_ms, e.seq) for e in merged], merged)
        return self._days[key]


HUB_KEY = web.AppKey("sandbox_streams_hub", Hub)


@dataclass(eq=False)
class Connection:
    """One client websocket; the venue protocol decides what it subscribed to and how messages look."""

    id: int
    venue: str
    ws: web.WebSocketResponse
    request: web.Request
    connected_at: float = field(default_factory=time.time)
    cursor: tuple[int, int] = (0, _AFTER_ALL)
    timeline: Any = None  # identity of the timeline the cursor belongs to
    timeline_now: int = 0  # its time at the previous look
    caught_up_ms: int = 0  # timeline time up to which every due message has been sent
    last_seen: tuple[float, int] = (0.0, 0)  # (wall, sim) at the previous look, to notice clock jumps
    pending: list[tuple[int, int, str]] = field(default_factory=list)  # heap of (sim ms, n, text) sent later
    sent: int = 0
    received: int = 0
    last_sent_wall: float = field(default_factory=time.time)
    last_recv_wall: float = field(default_factory=time.time)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    protocol: Any = None
    _n: itertools.count = field(default_factory=itertools.count)

    @property
    def hub(self) -> Hub:
        return self.request.config_dict[HUB_KEY]

    @property
    def market(self):
        return self.request.config_dict[STATE_KEY].market

    async def send(self, obj: Any) -> None:
        text = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
        if self.ws.closed:
            return
        await self.ws.send_str(text)
        self.sent += 1
        self.hub.sent[self.venue] = self.hub.sent.get(self.venue, 0) + 1
        self.last_sent_wall = time.time()

    def later(self, t_ms: int, text: str) -> None:
        heapq.heappush(self.pending, (t_ms, next(self._n), text))
        self.wake.set()

    def subscribed(self) -> None:
        """The protocol took a new subscription: stream from now on (venues never replay the past)."""
        self.timeline = None
        self.wake.set()

    def abort(self) -> None:
        if self.request.transport is not None:
            self.request.transport.abort()

    def as_dict(self) -> dict:
        return {"id": self.id, "venue": self.venue, "path": self.request.path, "sent": self.sent,
                "received": self.received, "subscriptions": sorted(self.protocol.subscriptions_text()),
                "caught_up_ms": self.caught_up_ms,
                "connected_for_s": round(time.time() - self.connected_at, 3)}


# --- the timeline -------------------------------------------------------------------------------------------
def _timeline(conn: Connection) -> tuple[Any, int, int, Callable[[int], float]]:
    """(identity, where it starts, sim now, wall seconds until a sim time) of the stream timeline."""
    hub = conn.hub
    if hub.replay is not None:
        r = hub.replay
        return ("replay", hub.replay_id), r.start_ms, r.now_ms(), r.wall_wait
    clock = conn.request.config_dict[STATE_KEY].clock
    now, rate, wall = clock.now_ms(), clock.rate, time.time()
    last_wall, last_now = conn.last_seen
    conn.last_seen = (wall, now)
    # The clock can be set at any moment; a jump means a new timeline, not a burst of the skipped events.
    expected = last_now + (wall - last_wall) * rate * 1000
    identity = conn.timeline if conn.timeline and abs(now - expected) <= 1000 else ("clock", wall)

    def wall_wait(t_ms: int) -> float:
        return (t_ms - now) / (rate * 1000) if rate > 0 else float("inf")

    return identity, now, now, wall_wait


def _due(conn: Connection, now: int) -> tuple[list[Liquidation], int | None]:
    """Wanted events after the cursor up to now, and the time of the next wanted event after now."""
    proto, market = conn.protocol, conn.market
    out: list[Liquidation] = []
    day = day_of(conn.cursor[0])
    for _ in range(4):  # look a few days ahead for the next event, no further
        keys, events = conn.hub.day_events(market, conn.venue, day)
        i = bisect.bisect_right(keys, conn.cursor)
        for _key, ev in zip(keys[i:], events[i:]):
            if not proto.wants(ev):
                continue
            if ev.time_ms > now:
                return out, ev.time_ms
            out.append(ev)
            if len(out) >= _MAX_BATCH:
                return out, ev.time_ms
        day += dt.timedelta(days=1)
    return out, None


async def pump(conn: Connection) -> None:
    while not conn.ws.closed:
        identity, origin, now, wall_wait = _timeline(conn)
        if identity != conn.timeline:
            # a replay window that starts where the last one held goes on from the cursor (nothing twice,
            # nothing skipped even if it is already running when looked at)
            contiguous = conn.timeline is not None and abs(origin - conn.timeline_now) <= 1000
            conn.timeline = identity
            if not contiguous:
                conn.cursor = (now - 1, _AFTER_ALL)
        conn.timeline_now = now
        wait = _POLL_S
        if conn.protocol.active():
            events, next_t = _due(conn, now)
            if events:
                conn.cursor = (events[-1].time_ms, events[-1].seq)
                for text in conn.protocol.render(events):
                    await conn.send(text)
                if next_t is not None and next_t <= now:
                    continue
            while conn.pending and conn.pending[0][0] <= now:
                await conn.send(heapq.heappop(conn.pending)[2])
            nexts = [t for t in (next_t, conn.pending[0][0] if conn.pending else None) if t is not None]
            if nexts:
                wait = min(wait, max(0.0, wall_wait(min(nexts))))
        conn.caught_up_ms = now  # everything due up to now has been written to the socket
        if wait > 0:
            conn.wake.clear()
            try:
                await asyncio.wait_for(conn.wake.wait(), timeout=wait)
            except TimeoutError:
                pass


async def _keepalive(conn: Connection) -> None:
    proto = conn.protocol
    while not conn.ws.closed:
        await asyncio.sleep(0.5)
        await proto.tick()
        reason = proto.expired(time.time())
        if reason:
            log.info("%s ws %s: closing, %s", conn.venue, conn.id, reason)
            await conn.ws.close(code=1000, message=reason.encode()[:120])
            return


def ws_handler(venue: str, protocol_factory: Callable[[Connection], Any]):
    """An aiohttp handler serving one venue websocket path with the venue's protocol."""

    async def handler(request: web.Request) -> web.StreamResponse:
        hub = request.config_dict.get(HUB_KEY)
        if hub is None:
            raise web.HTTPNotFound(text="websocket streams are not enabled on this sandbox")
        probe = protocol_factory(None)
        ws = web.WebSocketResponse(heartbeat=probe.heartbeat, autoping=True)
        if not ws.can_prepare(request).ok:
            return probe.http_answer(request)
        await ws.prepare(request)
        conn = Connection(hub.next_id(), venue, ws, request)
        conn.protocol = protocol_factory(conn)
        hub.connections.add(conn)
        tasks = [asyncio.create_task(pump(conn)), asyncio.create_task(_keepalive(conn))]
        try:
            await conn.protocol.on_open()
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    conn.received += 1
                    conn.last_recv_wall = time.time()
                    await conn.protocol.on_text(msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            hub.connections.discard(conn)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return ws

    return handler


# --- control ------------------------------------------------------------------------------------------------
def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def _body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read() or b"{}")
    except ValueError:
        return None


async def connections(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    return web.json_response({"connections": [c.as_dict() for c in sorted(hub.connections, key=lambda c: c.id)],
                              "sent": hub.sent, "replay": hub.replay.as_dict() if hub.replay else None})


async def disconnect(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    body = await _body(request)
    if not isinstance(body, dict) or not body.get("venue"):
        return _bad('expected {"venue": name or "*", "mode"?: "abort"|"close"}')
    mode = body.get("mode", "abort")
    if mode not in ("abort", "close"):
        return _bad("mode is abort or close")
    hit = [c for c in list(hub.connections) if body["venue"] in ("*", c.venue)]
    for conn in hit:
        hub.connections.discard(conn)
        if mode == "abort":
            conn.abort()
        else:
            await conn.ws.close(code=1001, message=b"going away")
    return web.json_response({"disconnected": len(hit)})


async def replay(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    if request.method == "DELETE":
        hub.replay, hub.replay_id = None, hub.replay_id + 1
    elif request.method == "POST":
        body = await _body(request)
        try:
            start = to_ms(parse_time(body["start"]))
            rate = float(body["rate"])
            end = to_ms(parse_time(body["end"])) if body.get("end") else None
            epoch = float(body.get("wall_epoch") or time.time())
        except (TypeError, KeyError, ValueError) as exc:
            return _bad(f'expected {{"start": ISO, "rate": >0, "wall_epoch"?: s, "end"?: ISO}}: {exc}')
        if rate <= 0:
            return _bad("rate must be positive")
        hub.replay, hub.replay_id = Replay(start, rate, epoch, end), hub.replay_id + 1
    for conn in hub.connections:
        conn.wake.set()
    return web.json_response({"replay": hub.replay.as_dict() if hub.replay else None})


def register_control(app: web.Application) -> None:
    """Create the hub on the root app and add the /_sandbox/ws control routes."""
    app[HUB_KEY] = Hub()
    app.router.add_get("/_sandbox/ws", connections)
    app.router.add_post("/_sandbox/ws/disconnect", disconnect)
    app.router.add_route("*", "/_sandbox/ws/replay", replay)
