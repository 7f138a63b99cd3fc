"""BitMEX realtime websocket (/realtime): table `liquidation`.

On connect the venue greets ({"info": "Welcome to the BitMEX Realtime API.", ...}); {"op": "subscribe",
"args": ["liquidation"]} (or "liquidation:XBTUSD") -> {"success": true, "subscribe", "request"} and a
`partial` of the open liquidation orders; then `insert` when a liquidation order enters the book and
`delete` once it is filled. Text "ping" -> "pong". Rows carry no timestamp.
Quantities are contracts: XBTUSD is inverse (1 contract = 1 USD, lot 100), ETHUSD a quanto
(1 contract = 100 satoshi per USD of the ETH price, so base ETH = contracts * 1e-6 * XBT/USD).
"""
from __future__ import annotations

from aiohttp import web

from sandbox import rng
from sandbox.market import ASSETS, Liquidation, perp_symbol
from sandbox.streams._proto import Protocol, dumps, loads
from sandbox.streams.hub import ws_handler
from sandbox.venues._common import iso_ms

NAME = "bitmex"
TABLE = "liquidation"
FILL_DELAY_MS = 1500  # an inserted liquidation order is filled (deleted) this long after
QUANTO_XBT_PER_USD = 1e-6
_SYMBOLS = {perp_symbol(NAME, a) for a in ASSETS}


def contracts(market, ev: Liquidation) -> int:
    if ev.asset == "BTC":
        return max(100, round(ev.qty * ev.price / 100) * 100)
    return max(1, round(ev.qty / (QUANTO_XBT_PER_USD * market.index_price("BTC", ev.time_ms))))


class BitmexStream(Protocol):
    def __init__(self, conn) -> None:
        super().__init__(conn)
        if conn is not None:  # ?subscribe=liquidation subscribes at connect time
            self.topics = {t for t in conn.request.query.get("subscribe", "").split(",") if self._valid(t)}

    @staticmethod
    def _valid(topic: str) -> bool:
        table, _, symbol = topic.partition(":")
        return table == TABLE and (not symbol or symbol in _SYMBOLS)

    async def on_open(self) -> None:
        await self.send({"info": "Welcome to the BitMEX Realtime API.", "version": "2.0.0",
                         "timestamp": iso_ms(self.now_ms()),
                         "docs": "https://www.bitmex.com/app/wsAPI", "heartbeatEnabled": False,
                         "limit": {"remaining": 39}})
        for topic in sorted(self.topics):
            await self._partial(topic)
        if self.topics:
            self.conn.subscribed()

    async def _partial(self, topic: str) -> None:
        await self.send({"table": TABLE, "action": "partial", "keys": ["orderID"],
                         "types": {"orderID": "guid", "symbol": "symbol", "side": "symbol", "price": "float",
                                   "leavesQty": "long"},
                         "foreignKeys": {"symbol": "instrument", "side": "side"},
                         "attributes": {"orderID": "grouped"},
                         "filter": {"symbol": topic.partition(":")[2]} if ":" in topic else {}, "data": []})

    async def on_text(self, text: str) -> None:
        if text == "ping":
            await self.send("pong")
            return
        doc = loads(text)
        if not isinstance(doc, dict) or "op" not in doc:
            await self.send({"status": 400, "error": "Unrecognized request. See the docs or send 'help' for more "
                                                     "details.", "meta": {}, "request": doc if doc else text})
            return
        op, args = doc.get("op"), doc.get("args")
        args = [args] if isinstance(args, str) else (args or [])
        if op not in ("subscribe", "unsubscribe"):
            await self.send({"status": 400, "error": f"Unknown or unsupported op: {op}", "meta": {},
                             "request": doc})
            return
        fresh = not self.topics
        for topic in args:
            if not isinstance(topic, str) or not self._valid(topic):
                await self.send({"status": 400, "error": f"Unknown table: {topic}", "meta": {}, "request": doc})
                continue
            if op == "subscribe":
                self.topics.add(topic)
                await self.send({"success": True, "subscribe": topic, "request": doc})
                await self._partial(topic)
            else:
                self.topics.discard(topic)
                await self.send({"success": True, "unsubscribe": topic, "request": doc})
        if fresh and self.topics:
            self.conn.subscribed()

    def wants(self, ev: Liquidation) -> bool:
        return TABLE in self.topics or f"{TABLE}:{ev.symbol}" in self.topics

    def render(self, events: list[Liquidation]) -> list[str]:
        market = self.conn.market
        rows = [{"orderID": ev.id, "symbol": ev.symbol, "side": "Sell" if ev.side == "long" else "Buy",
                 "price": ev.price, "leavesQty": contracts(market, ev)} for ev in events]
        for ev in events:
            self.conn.later(ev.time_ms + FILL_DELAY_MS + int(500 * rng.uniform(market.seed, "bitmex-fill", ev.id)),
                            dumps({"table": TABLE, "action": "delete",
                                   "data": [{"orderID": ev.id, "symbol": ev.symbol}]}))
        return [dumps({"table": TABLE, "action": "insert", "data": rows})] if rows else []


def add_routes(app: web.Application) -> None:
    app.router.add_get("/realtime", ws_handler(NAME, BitmexStream))
