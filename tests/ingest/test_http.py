"""The HTTP client against a real local server: Retry-After, 5xx bursts, resets, rate limit, redaction."""
from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from aiohttp import web

from ingest.http import HttpClient, SourceError, redact


class Script:
    """Answers requests from a queue of behaviours; the last one repeats."""

    def __init__(self) -> None:
        self.plan: list[str] = []
        self.hits: list[float] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(time.monotonic())
        step = self.plan.pop(0) if len(self.plan) > 1 else (self.plan[0] if self.plan else "ok")
        if step == "429":
            return web.json_response({"code": -1003, "msg": "Too many requests"}, status=429,
                                     headers={"Retry-After": "1"})
        if step == "500":
            return web.json_response({"code": -1000, "msg": "internal"}, status=500)
        if step == "reset":
            request.transport.close()
            await asyncio.sleep(0.1)
            return web.Response(text="never")
        if step == "slow":
            await asyncio.sleep(2)
        if step == "garbled":
            return web.Response(body=b'[{"fundingRate": "0.0001", "fund', content_type="application/json")
        return web.json_response([{"symbol": "BTCUSDT", "fundingRate": "0.0001"}])


@pytest.fixture()
def server():
    script = Script()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", script.handle)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield script, f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def client(url: str, landed: list, **kw) -> HttpClient:
    kw.setdefault("backoff_base_s", 0.01)
    return HttpClient(url, source="test", requests_per_second=100, on_response=landed.append, **kw)


def test_retry_after_is_waited_out(server):
    script, url = server
    script.plan = ["429", "ok"]
    landed: list = []
    with client(url, landed) as c:
        t0 = time.monotonic()
        body = c.get_json("/fapi/v1/fundingRate", {"symbol": "BTCUSDT"})
    assert body[0]["symbol"] == "BTCUSDT"
    assert script.hits[1] - script.hits[0] >= 0.95  # Retry-After: 1
    assert time.monotonic() - t0 >= 0.95
    assert [e.status for e in landed] == [429, 200]  # the 429 itself is kept too
    assert c.stats["throttled"] == 1


def test_5xx_burst_then_recovery(server):
    script, url = server
    script.plan = ["500", "500", "500", "ok"]
    landed: list = []
    with client(url, landed) as c:
        assert c.get_json("/x")
    assert [e.status for e in landed] == [500, 500, 500, 200]


def test_persistent_5xx_gives_up_with_source_error(server):
    script, url = server
    script.plan = ["500"]
    with client(url, [], max_attempts=3) as c, pytest.raises(SourceError, match="after 3 attempts"):
        c.get_json("/x")


def test_connection_reset_and_timeout_are_retried(server):
    script, url = server
    script.plan = ["reset", "slow", "ok"]
    with client(url, [], timeout_s=0.5) as c:
        assert c.get_json("/x")
    assert len(script.hits) == 3


def test_garbled_json_is_refetched_then_reported(server):
    script, url = server
    script.plan = ["garbled", "ok"]
    landed: list = []
    with client(url, landed) as c:
        assert c.get_json("/x")[0]["fundingRate"] == "0.0001"
    assert len(landed) == 2
    script.plan = ["garbled"]
    with client(url, [], ) as c, pytest.raises(SourceError, match="invalid JSON"):
        c.get_json("/x")


def test_rate_limit_spaces_requests(server):
    script, url = server
    with HttpClient(url, source="test", requests_per_second=20) as c:
        for _ in range(6):
            c.get_json("/x")
    # 20/s -> 6 requests need at least 5 intervals of 50 ms; arrival jitter can shift single gaps
    assert script.hits[-1] - script.hits[0] >= 0.2


def test_secrets_never_reach_logs_or_landing(server, caplog):
    script, url = server
    script.plan = ["500", "ok"]
    landed: list = []
    caplog.set_level(logging.DEBUG)
    with client(url, landed) as c:
        c.get_json("/x", {"symbol": "BTC", "api_key": "s3cr3t-value-123"})
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp")]  # the test server's own log
    assert ours and not any("s3cr3t-value-123" in m for m in ours)
    assert all("s3cr3t" not in e.url for e in landed)
    assert all(e.params.get("api_key") == "***" for e in landed)
    assert redact({"X-API-KEY": "a", "symbol": "b"}) == {"X-API-KEY": "***", "symbol": "b"}
