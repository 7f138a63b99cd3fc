"""OKX v5 public websocket (/ws/v5/public): channel liquidation-orders.

{"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]} -> one
{"event": "subscribe", "arg", "connId"} per arg; text "ping" -> "pong". The connection is closed when nothing
was pushed for 30 s (clients send "ping" to keep it). Pushes: {"arg", "data": [{"instId", "instFamily",
"instType", "uly", "details": [{"side", "posSide", "bkPx", "sz" (contracts), "bkLoss", "ccy", "ts"}]}]}.
"""
from __future__ import annotations

from aiohttp import web

from sandbox import rng
from sandbox.market import Liquidation
from sandbox.streams._proto import Protocol, dumps, loads
from sandbox.streams.hub import ws_handler

NAME = "okx"
CHANNEL = "liquidation-orders"
INST_TYPES = ("SWAP", "FUTURES", "MARGIN", "OPTION")
CT_VAL = {"BTC": 0.01, "ETH": 0.1}  # base coins per contract, as /api/v5/public/instruments says


class OkxStream(Protocol):
    silent_close_s = 30.0

    def __init__(self, conn) -> None:
        super().__init__(conn)
        self.args: dict[str, dict] = {}

    def _conn_id(self) -> str:
        return rng.hex_id(0, "okx-conn", self.conn.id, length=8)

    def subscriptions_text(self) -> set[str]:
        return set(self.args)

    def active(self) -> bool:
        return any(a.get("instType") == "SWAP" for a in self.args.values())

    async def on_text(self, text: str) -> None:
        if text == "ping":
            await self.send("pong")
            return
        doc = loads(text)
        if not isinstance(doc, dict) or doc.get("op") not in ("subscribe", "unsubscribe") \
                or not isinstance(doc.get("args"), list):
            await self.send({"event": "error", "code": "60012", "msg": f"Invalid request: {text[:100]}",
                             "connId": self._conn_id()})
            return
        was_active = self.active()
        for arg in doc["args"]:
            ok = isinstance(arg, dict) and arg.get("channel") == CHANNEL and arg.get("instType") in INST_TYPES
            if not ok:
                channel = arg.get("channel") if isinstance(arg, dict) else arg
                await self.send({"event": "error", "code": "60018",
                                 "msg": f"Wrong URL or channel:{channel}, doesn't exist. Please use the correct "
                                        "URL, channel and parameters referring to API document.",
                                 "connId": self._conn_id()})
                continue
            key = dumps(arg)
            if doc["op"] == "subscribe":
                self.args[key] = arg
            else:
                self.args.pop(key, None)
            ack = {"id": doc["id"]} if "id" in doc else {}
            ack.update({"event": doc["op"], "arg": arg, "connId": self._conn_id()})
            await self.send(ack)
        if self.active() and not was_active:
            self.conn.subscribed()

    def wants(self, ev: Liquidation) -> bool:
        for arg in self.args.values():
            if arg.get("instType") != "SWAP":
                continue
            if arg.get("instFamily") in (None, f"{ev.asset}-USDT") and arg.get("instId") in (None, ev.symbol):
                return True
        return False

    def render(self, events: list[Liquidation]) -> list[str]:
        out: list[str] = []
        arg = next(a for a in self.args.values() if a.get("instType") == "SWAP")
        groups: dict[tuple[str, int], list[Liquidation]] = {}
        for ev in events:  # the venue pushes at most once a second per instrument
            groups.setdefault((ev.symbol, ev.time_ms // 1000), []).append(ev)
        for (symbol, _), evs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            asset = evs[0].asset
            details = [{"bkLoss": "0", "bkPx": f"{e.price:.2f}".rstrip("0").rstrip("."), "ccy": "",
                        "posSide": e.side, "side": "sell" if e.side == "long" else "buy",
                        "sz": f"{e.qty / CT_VAL[asset]:.4f}".rstrip("0").rstrip("."), "ts": str(e.time_ms)}
                       for e in evs]
            out.append(dumps({"arg": {"channel": CHANNEL, "instType": arg["instType"]},
                              "data": [{"details": details, "instFamily": f"{asset}-USDT", "instId": symbol,
                                        "instType": "SWAP", "uly": f"{asset}-USDT"}]}))
        return out


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ws/v5/public", ws_handler(NAME, OkxStream))
