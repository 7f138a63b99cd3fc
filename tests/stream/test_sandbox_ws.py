"""The sandbox's websocket endpoints speak each venue's protocol: paths, acks, errors, keepalive, control."""
from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from sandbox.server import SandboxServer
from tests.stream._helpers import SQUEEZE


@pytest.fixture(scope="module")
def sb():
    with SandboxServer(seed=7, clock=SQUEEZE, rate_limit_scale=0) as server:
        server.replay_streams(SQUEEZE, 600)
        yield server


def _talk(url, sends, n, timeout=8.0):
    async def go():
        out = []
        async with connect(url, proxy=None) as ws:
            for s in sends:
                await ws.send(s if isinstance(s, str) else json.dumps(s))
            deadline = time.time() + timeout
            while len(out) < n and time.time() < deadline:
                try:
                    out.append(await asyncio.wait_for(ws.recv(), 1.0))
                except TimeoutError:
                    continue
        return out
    return asyncio.run(go())


def _ws(sb, path):
    return sb.url.replace("http://", "ws://") + path


def test_binance_stream_in_the_path_and_combined_form(sb):
    [raw] = _talk(_ws(sb, "/binance/market/ws/btcusdt@forceOrder"), [], 1)
    event = json.loads(raw)
    assert event["e"] == "forceOrder" and event["o"]["s"] == "BTCUSDT" and event["o"]["X"] == "FILLED"
    [wrapped] = _talk(_ws(sb, "/binance/market/stream?streams=ethusdt@forceOrder"), [], 1)
    doc = json.loads(wrapped)
    assert doc["stream"] == "ethusdt@forceOrder" and doc["data"]["o"]["s"] == "ETHUSDT"
    ack, pushed = _talk(_ws(sb, "/binance/market/ws"), [{"method": "SUBSCRIBE", "params": ["!forceOrder@arr"], "id": 1}], 2)
    assert json.loads(ack) == {"result": None, "id": 1} and json.loads(pushed)["e"] == "forceOrder"
    [err] = _talk(_ws(sb, "/binance/market/ws"), [{"method": "SUBSCRIBE", "params": ["nope@x"], "id": 7}], 1)
    assert json.loads(err)["error"]["code"] == 2 and json.loads(err)["id"] == 7


@pytest.mark.slow  # listens out three quiet paths: about 10 s
def test_binance_unrouted_legacy_paths_take_the_subscription_and_push_no_liquidation(sb):
    """Since the routing change (legacy URLs retired 2026-04-23) liquidations are /market streams only."""
    # the squeeze replay pushes a liquidation within a second or two on the routed path (test above);
    # the legacy paths stay open and quiet for as long as the test listens
    msgs = _talk(_ws(sb, "/binance/ws"), [{"method": "SUBSCRIBE", "params": ["!forceOrder@arr"], "id": 1}], 2,
                 timeout=4.0)
    assert [json.loads(m) for m in msgs] == [{"result": None, "id": 1}]
    for path in ("/binance/ws/btcusdt@forceOrder", "/binance/stream?streams=!forceOrder@arr/btcusdt@forceOrder"):
        assert _talk(_ws(sb, path), [], 1, timeout=3.0) == [], path


def test_bybit_acks_pings_and_refuses_unknown_topics(sb):
    msgs = [json.loads(m) for m in _talk(_ws(sb, "/bybit/v5/public/linear"), [
        {"op": "subscribe", "args": ["allLiquidation.DOGEUSDT"], "req_id": "a"},
        {"op": "subscribe", "args": ["allLiquidation.ETHUSDT"], "req_id": "b"}, {"op": "ping"}], 4)]
    assert msgs[0]["success"] is False and msgs[0]["req_id"] == "a"
    assert msgs[1]["success"] is True and msgs[1]["op"] == "subscribe"
    assert msgs[2]["ret_msg"] == "pong"
    assert msgs[3]["topic"] == "allLiquidation.ETHUSDT" and msgs[3]["data"][0]["S"] in ("Buy", "Sell")


def test_okx_text_ping_and_liquidation_details(sb):
    msgs = _talk(_ws(sb, "/okx/ws/v5/public"), ["ping", {"op": "subscribe", "args": [
        {"channel": "liquidation-orders", "instType": "SWAP"}]}], 3)
    assert msgs[0] == "pong" and json.loads(msgs[1])["event"] == "subscribe"
    push = json.loads(msgs[2])
    detail = push["data"][0]["details"][0]
    assert push["data"][0]["instId"].endswith("-USDT-SWAP")
    assert (detail["side"], detail["posSide"]) in (("sell", "long"), ("buy", "short"))


def test_bitmex_welcome_partial_insert_and_delete(sb):
    msgs = [json.loads(m) for m in _talk(_ws(sb, "/bitmex/realtime"), [{"op": "subscribe", "args": ["liquidation"]}], 8)]
    assert msgs[0]["info"].startswith("Welcome to the BitMEX Realtime API")
    assert msgs[1] == {"success": True, "subscribe": "liquidation", "request": {"op": "subscribe", "args": ["liquidation"]}}
    assert msgs[2]["action"] == "partial"
    inserts = [m for m in msgs if m.get("action") == "insert"]
    deletes = [m for m in msgs if m.get("action") == "delete"]
    assert inserts and deletes
    assert deletes[0]["data"][0]["orderID"] in {r["orderID"] for m in inserts for r in m["data"]}


@pytest.mark.slow  # the venue's shortest heartbeat is 10 s: this waits about 25 s
def test_deribit_heartbeat_drops_a_client_that_does_not_answer(sb):
    async def go():
        async with connect(_ws(sb, "/deribit/ws/api/v2"), proxy=None) as ws:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "public/set_heartbeat",
                                      "params": {"interval": 10}}))
            assert json.loads(await ws.recv())["result"] == "ok"
            assert any(c["venue"] == "deribit" for c in sb.stream_connections())
            request = json.loads(await asyncio.wait_for(ws.recv(), 15))
            assert request["params"]["type"] == "test_request"
            with pytest.raises(ConnectionClosed):  # no public/test in reply: dropped after 1.5 intervals
                while True:
                    await asyncio.wait_for(ws.recv(), 20)
    asyncio.run(go())


def test_control_endpoint_drops_a_venue(sb):
    async def go():
        async with connect(_ws(sb, "/bybit/v5/public/linear"), proxy=None) as ws:
            await ws.send(json.dumps({"op": "subscribe", "args": ["allLiquidation.BTCUSDT"]}))
            await ws.recv()
            assert sb.disconnect_streams("bybit") == 1
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
    asyncio.run(go())
