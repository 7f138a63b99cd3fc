"""What every venue websocket protocol of the sandbox has in common."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.market import Liquidation
from sandbox.state import STATE_KEY


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


class Protocol:
    """Subclasses fill in subscribe handling, the subscription filter and the message shapes."""

    heartbeat: float | None = None  # protocol-level ping frames from the server (seconds), aiohttp answers pongs
    silent_close_s: float | None = None  # close when the server has sent nothing for this long (OKX)
    idle_close_s: float | None = None  # close when the client has sent nothing for this long

    def __init__(self, conn) -> None:
        self.conn = conn
        self.topics: set[str] = set()

    # --- called by the hub ---------------------------------------------------------------------------------
    def active(self) -> bool:
        return bool(self.topics)

    def subscriptions_text(self) -> set[str]:
        return set(self.topics)

    async def on_open(self) -> None:
        """Anything the venue sends right after the handshake."""

    async def on_text(self, text: str) -> None:
        raise NotImplementedError

    def wants(self, ev: Liquidation) -> bool:
        raise NotImplementedError

    def render(self, events: list[Liquidation]) -> list[str]:
        raise NotImplementedError

    async def tick(self) -> None:
        """Called about twice a second (venue heartbeats)."""

    def expired(self, now: float) -> str | None:
        if self.silent_close_s and now - self.conn.last_sent_wall > self.silent_close_s:
            return f"no data sent for {self.silent_close_s:.0f}s"
        if self.idle_close_s and now - self.conn.last_recv_wall > self.idle_close_s:
            return f"no message from the client for {self.idle_close_s:.0f}s"
        return None

    def http_answer(self, request: web.Request) -> web.Response:
        """A plain GET (no upgrade) on the websocket path."""
        return web.Response(status=400, text="Bad Request: websocket upgrade expected")

    # --- helpers ----------------------------------------------------------------------------------------------
    async def send(self, obj: Any) -> None:
        await self.conn.send(obj if isinstance(obj, str) else dumps(obj))

    def now_ms(self) -> int:
        """Server timestamps in messages follow the stream timeline (the replay, else the sandbox clock)."""
        hub = self.conn.hub
        if hub.replay is not None:
            return hub.replay.now_ms()
        return self.conn.request.config_dict[STATE_KEY].clock.now_ms()
