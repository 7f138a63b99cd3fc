"""Which landed dataset each kind of venue message goes to: data in liquidations_ws, the rest aside."""
from __future__ import annotations

import json

import pytest

from ingest.stream import protocols as P

CASES = [
    ("binance", {"e": "forceOrder", "E": 1, "o": {"s": "BTCUSDT"}}, P.DATA),
    ("binance", {"result": None, "id": 1}, P.ACK),
    ("binance", {"error": {"code": 2, "msg": "Invalid request"}, "id": 1}, P.REJECT),
    ("bybit", {"topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": 1, "data": []}, P.DATA),
    ("bybit", {"success": True, "ret_msg": "", "op": "subscribe"}, P.ACK),
    ("bybit", {"success": False, "ret_msg": "Invalid symbol", "op": "subscribe"}, P.REJECT),
    ("bybit", {"success": True, "ret_msg": "pong", "op": "ping"}, P.CONTROL),
    ("okx", {"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": []}, P.DATA),
    ("okx", {"event": "subscribe", "arg": {"channel": "liquidation-orders"}}, P.ACK),
    ("okx", {"event": "error", "code": "60018"}, P.REJECT),
    ("okx", "pong", P.CONTROL),
    ("bitmex", {"table": "liquidation", "action": "insert", "data": []}, P.DATA),
    ("bitmex", {"table": "liquidation", "action": "delete", "data": []}, P.CONTROL),
    ("bitmex", {"table": "liquidation", "action": "partial", "data": []}, P.CONTROL),
    ("bitmex", {"info": "Welcome to the BitMEX Realtime API."}, P.CONTROL),
    ("bitmex", {"success": True, "subscribe": "liquidation"}, P.ACK),
    ("bitmex", {"status": 400, "error": "Unknown table: x"}, P.REJECT),
    ("deribit", {"jsonrpc": "2.0", "method": "subscription", "params": {"channel": "trades.future.BTC.100ms"}}, P.DATA),
    ("deribit", {"jsonrpc": "2.0", "id": 2, "result": ["trades.future.BTC.100ms"]}, P.ACK),
    ("deribit", {"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}}, P.CONTROL),
]


@pytest.mark.parametrize("venue,message,kind", CASES)
def test_classify(venue, message, kind):
    text = message if isinstance(message, str) else json.dumps(message)
    assert P.classify(P.PROTOCOLS[venue], text) == kind


def test_deribit_answers_its_heartbeat_test_request():
    proto = P.PROTOCOLS["deribit"]
    answer = json.loads(proto.reply({"method": "heartbeat", "params": {"type": "test_request"}}))
    assert answer["method"] == "public/test"
    assert proto.reply({"method": "heartbeat", "params": {"type": "heartbeat"}}) is None


def test_subscriptions_follow_the_configured_assets():
    from ingest.config import SourceConfig

    src = SourceConfig("bybit", True, "venue", "http://x", ("BTC", "ETH"), 1.0, ws_url="ws://x")
    [msg] = P.PROTOCOLS["bybit"].subscribe(src)
    assert json.loads(msg)["args"] == ["allLiquidation.BTCUSDT", "allLiquidation.ETHUSDT"]
    [msg] = P.PROTOCOLS["binance"].subscribe(src)
    assert json.loads(msg) == {"method": "SUBSCRIBE", "params": ["btcusdt@forceOrder", "ethusdt@forceOrder"], "id": 1}
