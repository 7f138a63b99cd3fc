"""Binance USD-M futures websocket: liquidation order streams (forceOrder).

Paths, on the /market route since Binance split its USD-M websocket hosts (Important WebSocket Change
Notice, https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/
Important-WebSocket-Change-Notice: /public, /market, /private; liquidation streams are /market; the
legacy unrouted URLs were retired on 2026-04-23): /market/ws (raw events; subscribe with {"method":
"SUBSCRIBE", "params": [...], "id": n}), /market/ws/<stream>[/<stream>] (streams in the path) and
/market/stream?streams=a/b (combined form: {"stream": name, "data": event}).
The legacy /ws, /ws/<stream> and /stream still take the connection and answer the SUBSCRIBE, and then push
no liquidation at all: client maintainers report exactly that of the real host after the cut-over (the
handshake completes, no error, no close, no /market stream). Whether the venue acks a SUBSCRIBE there is
not documented; acking is the harder case for a client, which then looks subscribed.
Streams: `!forceOrder@arr` (every symbol) and `<symbol>@forceOrder`. The server pings; clients answer pongs.
Unlike the real venue (which pushes at most one liquidation per symbol per second) every event is pushed.
"""
from __future__ import annotations

from aiohttp import web

from sandbox import rng
from sandbox.market import ASSETS, Liquidation, perp_symbol
from sandbox.streams._proto import Protocol, dumps, loads
from sandbox.streams.hub import ws_handler

NAME = "binance"
ALL = "!forceOrder@arr"
_TICK = {"BTC": 0.1, "ETH": 0.01}
_QTY_DP = 3


def _valid(stream: str) -> bool:
    return stream == ALL or stream in {f"{perp_symbol(NAME, a).lower()}@forceOrder" for a in ASSETS}


class BinanceStream(Protocol):
    heartbeat = 60.0  # the venue pings every 3 minutes; shorter here so tests see it

    def __init__(self, conn, routed: bool = True) -> None:
        super().__init__(conn)
        self.combined = False
        self.routed = routed
        if conn is not None:
            req = conn.request
            self.combined = req.path.rstrip("/").endswith("/stream")
            names = req.query.get("streams", "") if self.combined else req.match_info.get("streams", "")
            self.topics = {s for s in names.split("/") if s and _valid(s)}

    async def on_text(self, text: str) -> None:
        doc = loads(text)
        if not isinstance(doc, dict):
            await self.send({"error": {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}})
            return
        method, params, req_id = doc.get("method"), doc.get("params") or [], doc.get("id")
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) and _valid(p) for p in params):
                await self.send({"error": {"code": 2, "msg": "Invalid request: invalid stream name"}, "id": req_id})
                return
            fresh = not self.topics
            self.topics = self.topics | set(params) if method == "SUBSCRIBE" else self.topics - set(params)
            await self.send({"result": None, "id": req_id})
            if fresh and self.topics:
                self.conn.subscribed()
        elif method == "LIST_SUBSCRIPTIONS":
            await self.send({"result": sorted(self.topics), "id": req_id})
        else:
            await self.send({"error": {"code": 2, "msg": f"Invalid request: unknown variant `{method}`"},
                             "id": req_id})

    def active(self) -> bool:
        return self.routed and bool(self.topics)

    def wants(self, ev: Liquidation) -> bool:
        if not self.routed:  # an unrouted connection gets no /market stream
            return False
        return ALL in self.topics or f"{ev.symbol.lower()}@forceOrder" in self.topics

    def event(self, ev: Liquidation) -> dict:
        seed = self.conn.market.seed
        order_side = "SELL" if ev.side == "long" else "BUY"
        # the order is sent at the bankruptcy price; it fills a little better, at `ap`
        tick = _TICK[ev.asset]
        limit = ev.price * (0.998 if order_side == "SELL" else 1.002)
        qty = f"{ev.qty:.{_QTY_DP}f}"
        return {"e": "forceOrder", "E": ev.time_ms + 1 + int(8 * rng.uniform(seed, "binance-E", ev.id)),
                "o": {"s": ev.symbol, "S": order_side, "o": "LIMIT", "f": "IOC", "q": qty,
                      "p": f"{round(limit / tick) * tick:.2f}", "ap": f"{ev.price:.2f}", "X": "FILLED",
                      "l": qty, "z": qty, "T": ev.time_ms}}

    def render(self, events: list[Liquidation]) -> list[str]:
        out = []
        for ev in events:
            body = self.event(ev)
            if not self.combined:
                out.append(dumps(body))
                continue
            for stream in sorted(self.topics):
                if stream == ALL or stream == f"{ev.symbol.lower()}@forceOrder":
                    out.append(dumps({"stream": stream, "data": body}))
        return out


def add_routes(app: web.Application) -> None:
    for route, routed in (("/market", True), ("", False)):  # "": the retired unrouted paths
        handler = ws_handler(NAME, lambda conn, routed=routed: BinanceStream(conn, routed=routed))
        app.router.add_get(f"{route}/ws", handler)
        app.router.add_get(f"{route}/ws/{{streams:.+}}", handler)
        app.router.add_get(f"{route}/stream", handler)
