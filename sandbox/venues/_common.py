"""Small helpers the venue modules share: state access, JSON answers, number formatting, parameters."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.market import Market
from sandbox.state import STATE_KEY, SandboxState


class Reply(Exception):
    """Raised by a handler to answer at once with a venue-shaped error response."""

    def __init__(self, response: web.Response):
        super().__init__(response.status)
        self.response = response


def state(request: web.Request) -> SandboxState:
    return request.config_dict[STATE_KEY]


def market(request: web.Request) -> Market:
    return state(request).market


def now_ms(request: web.Request) -> int:
    return state(request).now_ms()


def dumps(obj: Any) -> bytes:
    # compact like the venues; key order is the order the handler built (the venues' documented order)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps(obj), status=status, headers=headers, content_type="application/json")


def text_response(text: str, status: int, content_type: str = "text/plain") -> web.Response:
    return web.Response(text=text, status=status, content_type=content_type)


def gateway_page(status: int) -> web.Response:
    """What a CDN in front of a venue answers when the venue is down (502/503/504)."""
    reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}.get(status, "Error")
    html = (f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n")
    return text_response(html, status, "text/html")


def fixed(x: float, dp: int) -> str:
    """Fixed decimals, as Binance prints ("0.00010000")."""
    return f"{x:.{dp}f}"


def trim(x: float, dp: int) -> str:
    """At most dp decimals without trailing zeros, as Bybit/OKX/Hyperliquid print ("0.00015")."""
    text = f"{x:.{dp}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def iso_ms(ms: int) -> str:
    """2026-11-26T04:00:00.000Z, the way BitMEX writes times."""
    t = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def int_param(value: Any, on_error: Callable[[], web.Response]) -> int | None:
    """An integer parameter (None when absent); on garbage, reply with the venue's error."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        if isinstance(value, str):
            try:
                as_float = float(value)
                if as_float.is_integer():
                    return int(as_float)
            except ValueError:
                pass
        raise Reply(on_error()) from None
