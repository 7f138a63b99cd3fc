"""Bybit v5 public linear websocket (/v5/public/linear): topic allLiquidation.<symbol>.

{"op": "subscribe", "args": ["allLiquidation.BTCUSDT"], "req_id"?} -> {"success", "ret_msg", "conn_id", "op"};
{"op": "ping"} -> {"success": true, "ret_msg": "pong", ...}. Pushes group the events of a 500 ms window:
{"topic", "type": "snapshot", "ts", "data": [{"T", "s", "S", "v", "p"}]}, `S` being the side of the
liquidated position (Buy = a long was liquidated).
"""
from __future__ import annotations

from aiohttp import web

from sandbox import rng
from sandbox.market import ASSETS, Liquidation, perp_symbol
from sandbox.streams._proto import Protocol, dumps, loads
from sandbox.streams.hub import ws_handler

NAME = "bybit"
PREFIX = "allLiquidation."
WINDOW_MS = 500
_SYMBOLS = {perp_symbol(NAME, a) for a in ASSETS}


class BybitStream(Protocol):
    idle_close_s = 600.0  # the venue asks for a ping every 20 s and drops silent clients

    def _conn_id(self) -> str:
        return rng.uuid_like(0, "bybit-conn", self.conn.id)

    def _ack(self, op: str, ok: bool, msg: str, req_id) -> dict:
        doc = {"success": ok, "ret_msg": msg, "conn_id": self._conn_id()}
        if req_id is not None:
            doc["req_id"] = req_id
        doc["op"] = op
        return doc

    async def on_text(self, text: str) -> None:
        doc = loads(text)
        if not isinstance(doc, dict) or "op" not in doc:
            await self.send(self._ack("", False, f"error:unmarshal message: {text[:60]}", None))
            return
        op, req_id, args = doc["op"], doc.get("req_id"), doc.get("args") or []
        if op == "ping":
            await self.send(self._ack("ping", True, "pong", req_id))
        elif op in ("subscribe", "unsubscribe"):
            bad = [a for a in args if not (isinstance(a, str) and a.startswith(PREFIX) and a[len(PREFIX):] in _SYMBOLS)]
            if bad or not args:
                await self.send(self._ack(op, False, f"Invalid symbol :[{', '.join(map(str, bad or args))}]", req_id))
                return
            fresh = not self.topics
            self.topics = self.topics | set(args) if op == "subscribe" else self.topics - set(args)
            await self.send(self._ack(op, True, "", req_id))
            if fresh and self.topics:
                self.conn.subscribed()
        else:
            await self.send(self._ack(op, False, f"error:handler not found,op:{op}", req_id))

    def wants(self, ev: Liquidation) -> bool:
        return PREFIX + ev.symbol in self.topics

    def render(self, events: list[Liquidation]) -> list[str]:
        groups: dict[tuple[str, int], list[Liquidation]] = {}
        for ev in events:
            groups.setdefault((ev.symbol, ev.time_ms // WINDOW_MS), []).append(ev)
        out = []
        for (symbol, window), evs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            data = [{"T": e.time_ms, "s": e.symbol, "S": "Buy" if e.side == "long" else "Sell",
                     "v": f"{e.qty:.3f}".rstrip("0").rstrip("."), "p": f"{e.price:.2f}"} for e in evs]
            out.append(dumps({"topic": PREFIX + symbol, "type": "snapshot", "ts": (window + 1) * WINDOW_MS,
                              "data": data}))
        return out


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v5/public/linear", ws_handler(NAME, BybitStream))
