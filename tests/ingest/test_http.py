"""The HTTP client against a real local server: Retry-After, 5xx bursts, resets, rate limit, redaction."""
from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from aiohttp import web

from ingest.http import BrokenTransfer, HttpClient, SourceError, redact


class Script:
    """Answers requests from a queue of behaviours; the last one repeats."""

    def __init__(self) -> None:
        self.plan: list[str] = []
        self.hits: list[float] = []
        self.bodies: list[bytes] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(time.monotonic())
        self.bodies.append(await request.read())
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
        if step == "midbody":  # the headers and half the body, then the connection drops (sandbox's "reset")
            stream = web.StreamResponse(status=200)
            stream.content_type, stream.content_length = "application/json", 64
            await stream.prepare(request)
            await stream.write(b'[{"symbol": "BTCUSDT", ')
            request.transport.abort()
            return stream
        if step == "429-bare":  # throttled without saying for how long (OKX, Bybit)
            return web.json_response({"code": "50011", "msg": "Too Many Requests"}, status=429)
        if step == "429-long":
            return web.json_response({"code": -1003, "msg": "banned"}, status=429, headers={"Retry-After": "600"})
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


def wait_for_landed(landed: list, timeout_s: float = 5.0) -> None:
    """Until the other thread's 429 is landed: its client pauses right after landing it."""
    deadline = time.monotonic() + timeout_s
    while not landed:
        assert time.monotonic() < deadline, "the first answer never came"
        time.sleep(0.01)
    time.sleep(0.05)


def test_retry_after_pauses_every_thread_of_the_client(server):
    script, url = server
    script.plan = ["429", "ok"]
    landed: list = []
    with client(url, landed) as c:
        told = threading.Thread(target=c.get_json, args=("/x",))
        told.start()
        wait_for_landed(landed)  # the 429 is in: this thread's request must wait out the same Retry-After
        assert c.get_json("/y")
        told.join(5)
    assert len(script.hits) == 3 and all(h - script.hits[0] >= 0.95 for h in script.hits[1:])
    assert c.stats["retry_after_waited_s"] == 1.0


def test_json_rpc_posts_are_retried(server):
    script, url = server
    script.plan = ["500", "reset", "ok"]
    landed: list = []
    with client(url, landed) as c:
        assert c.post_json("/", {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "note": "ü"})
    assert len(script.hits) == 3 and [e.status for e in landed] == [500, 200]
    # each attempt sends the same compact UTF-8 body (the sandbox's fault filters match on these bytes)
    assert set(script.bodies) == {'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","note":"ü"}'.encode()}
    assert [e.attempt for e in landed] == [1, 3] and landed[0].json_body["method"] == "eth_blockNumber"


def test_a_body_broken_off_is_asked_again_and_never_landed(server):
    script, url = server
    script.plan = ["midbody", "ok"]
    landed: list = []
    with client(url, landed) as c:
        assert c.get_json("/x")[0]["symbol"] == "BTCUSDT"
    assert [e.status for e in landed] == [200] and c.stats["transport_errors"] == 1
    assert c.stats["requests"] - c.stats["transport_errors"] == len(landed)
    script.plan = ["midbody"]
    with client(url, []) as c, pytest.raises(SourceError, match="kept breaking off mid-body"):
        c.get_json("/x")
    with client(url, [], breaker_threshold=10) as c, pytest.raises(BrokenTransfer, match="IncompleteRead"):
        c.request("GET", "/x")


def test_a_retry_after_beyond_the_limit_fails_at_once(server):
    script, url = server
    script.plan = ["429-long"]
    landed: list = []
    with client(url, landed, max_retry_after_s=5) as c, pytest.raises(SourceError, match="retry after 600s") as err:
        c.get_json("/x")
    assert not err.value.transient and len(script.hits) == 1 and [e.status for e in landed] == [429]


def test_every_attempt_is_landed_or_counted_as_a_transport_error(server):
    script, url = server
    script.plan = ["500", "reset", "429", "midbody", "500", "slow", "ok"]
    landed: list = []
    with client(url, landed, timeout_s=0.5, max_attempts=4, breaker_threshold=10) as c:
        assert c.get_json("/x")
    s = c.stats
    assert s["requests"] == len(script.hits) == 7 and s["transport_errors"] == 3 and s["throttled"] == 1
    assert [e.status for e in landed] == [500, 429, 500, 200] and s["requests"] - s["transport_errors"] == len(landed)
    assert [e.attempt for e in landed] == [1, 3, 1, 3]  # within each request(): a broken body is asked anew


def test_a_429_without_retry_after_still_pauses_every_thread(server):
    script, url = server
    script.plan = ["429-bare", "ok"]
    landed: list = []
    with client(url, landed, backoff_base_s=0.4) as c:
        told = threading.Thread(target=c.get_json, args=("/x",))
        told.start()
        wait_for_landed(landed)
        assert c.get_json("/y")
        told.join(5)
    assert len(script.hits) == 3 and all(h - script.hits[0] >= 0.35 for h in script.hits[1:])
    assert c.stats["throttled"] == 1 and c.stats["retry_after_waited_s"] == 0.0
