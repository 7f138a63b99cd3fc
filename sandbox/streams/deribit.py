"""Deribit JSON-RPC over websocket (/ws/api/v2): trade channels, heartbeats.

public/subscribe {"channels": ["trades.future.BTC.100ms" | "trades.BTC-PERPETUAL.100ms" | ...]} answers the
channels taken; pushes are {"jsonrpc": "2.0", "method": "subscription", "params": {"channel", "data": [trade]}}.
Only liquidation trades are simulated: each carries `liquidation` "T" (the taker was liquidated) or "M" (the
maker was), `direction` being the taker's side; `amount` is USD for the inverse perpetuals.
public/set_heartbeat {"interval": s>=10} makes the server send {"method": "heartbeat", "params": {"type":
"test_request"}} every interval; a client that does not answer with public/test before the next one is dropped.
"""
from __future__ import annotations

import time

from aiohttp import web

from sandbox import rng
from sandbox.market import ASSETS, Liquidation, perp_symbol
from sandbox.streams._proto import Protocol, dumps, loads
from sandbox.streams.hub import ws_handler

NAME = "deribit"
INTERVALS = ("raw", "100ms", "agg2")
CONTRACT_USD = {"BTC": 10, "ETH": 1}
_WINDOW_MS = {"raw": 1, "100ms": 100, "agg2": 100}


def _channel_filter(channel: str) -> tuple[set[str], str] | None:
    """The instruments a trades channel covers and its interval, or None if it is not a trades channel."""
    parts = channel.split(".")
    if parts[0] != "trades" or parts[-1] not in INTERVALS:
        return None
    perps = {a: perp_symbol(NAME, a) for a in ASSETS}
    if len(parts) == 3 and parts[1] in perps.values():
        return {parts[1]}, parts[2]
    if len(parts) == 4 and parts[1] in ("future", "any") and parts[2] in (*ASSETS, "any"):
        return {s for a, s in perps.items() if parts[2] in (a, "any")}, parts[3]
    return None


class DeribitStream(Protocol):
    def __init__(self, conn) -> None:
        super().__init__(conn)
        self.heartbeat_s: float | None = None
        self.next_test = 0.0
        self.awaiting_since: float | None = None

    def _result(self, req_id, result) -> dict:
        us = self.now_ms() * 1000
        return {"jsonrpc": "2.0", "id": req_id, "result": result, "usIn": us, "usOut": us + 90, "usDiff": 90,
                "testnet": False}

    def _error(self, req_id, code: int, message: str) -> dict:
        us = self.now_ms() * 1000
        return {"jsonrpc": "2.0", "id": req_id, "error": {"message": message, "code": code}, "usIn": us,
                "usOut": us + 60, "usDiff": 60, "testnet": False}

    async def on_text(self, text: str) -> None:
        doc = loads(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("method"), str):
            await self.send(self._error(None, 11050, "bad_request"))
            return
        method, params, req_id = doc["method"], doc.get("params") or {}, doc.get("id")
        if method == "public/test":
            self.awaiting_since = None
            await self.send(self._result(req_id, {"version": "1.2.26"}))
        elif method == "public/set_heartbeat":
            interval = params.get("interval")
            if not isinstance(interval, (int, float)) or interval < 10:
                await self.send(self._error(req_id, 11029, "invalid_arguments"))
                return
            self.heartbeat_s, self.next_test = float(interval), time.time() + float(interval)
            await self.send(self._result(req_id, "ok"))
        elif method == "public/disable_heartbeat":
            self.heartbeat_s = self.awaiting_since = None
            await self.send(self._result(req_id, "ok"))
        elif method in ("public/subscribe", "public/unsubscribe"):
            channels = params.get("channels")
            if not isinstance(channels, list):
                await self.send(self._error(req_id, 11029, "invalid_arguments"))
                return
            good = [c for c in channels if isinstance(c, str) and _channel_filter(c)]
            fresh = not self.topics
            self.topics = self.topics | set(good) if method == "public/subscribe" else self.topics - set(good)
            await self.send(self._result(req_id, good))
            if fresh and self.topics:
                self.conn.subscribed()
        else:
            await self.send(self._error(req_id, -32601, "Method not found"))

    async def tick(self) -> None:
        if self.heartbeat_s and time.time() >= self.next_test:
            if self.awaiting_since is None:
                self.awaiting_since = time.time()
            self.next_test = time.time() + self.heartbeat_s
            await self.send({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}})

    def expired(self, now: float) -> str | None:
        if self.awaiting_since is not None and self.heartbeat_s and now - self.awaiting_since > 1.5 * self.heartbeat_s:
            return "heartbeat test_request not answered"
        return super().expired(now)

    def wants(self, ev: Liquidation) -> bool:
        return any(ev.symbol in _channel_filter(c)[0] for c in self.topics)

    def trade(self, ev: Liquidation) -> dict:
        seed = self.conn.market.seed
        taker_liquidated = rng.uniform(seed, "deribit-liq-role", ev.id) < 0.7
        # a liquidated long sells: as taker (T + sell) or as the resting maker hit by a buyer (M + buy)
        sells = ev.side == "long"
        direction = ("sell" if sells else "buy") if taker_liquidated else ("buy" if sells else "sell")
        size = CONTRACT_USD[ev.asset]
        amount = max(size, round(ev.qty * ev.price / size) * size)
        index = self.conn.market.index_price(ev.asset, ev.time_ms)
        return {"trade_seq": ev.seq, "trade_id": str(ev.seq), "timestamp": ev.time_ms, "tick_direction": 2,
                "price": ev.price, "mark_price": round(index, 2), "index_price": round(index, 2),
                "instrument_name": ev.symbol, "direction": direction, "amount": float(amount),
                "contracts": float(amount // size), "liquidation": "T" if taker_liquidated else "M"}

    def render(self, events: list[Liquidation]) -> list[str]:
        out = []
        for channel in sorted(self.topics):
            symbols, interval = _channel_filter(channel)
            groups: dict[int, list[dict]] = {}
            for ev in events:
                if ev.symbol in symbols:
                    groups.setdefault(ev.time_ms // _WINDOW_MS[interval], []).append(self.trade(ev))
            for _, trades in sorted(groups.items()):
                out.append(dumps({"jsonrpc": "2.0", "method": "subscription",
                                  "params": {"channel": channel, "data": trades}}))
        return out


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ws/api/v2", ws_handler(NAME, DeribitStream))
