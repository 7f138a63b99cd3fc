"""Which landed dataset each kind of venue message goes to: data in liquidations_ws, the rest aside."""
from __future__ import annotations

import json

import pytest

from ingest.stream import protocols as P
from ingest.venues import ws_protocols

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
    assert P.classify(ws_protocols()[venue], text) == kind


def test_deribit_answers_its_heartbeat_test_request():
    proto = ws_protocols()["deribit"]
    answer = json.loads(proto.reply({"method": "heartbeat", "params": {"type": "test_request"}}))
    assert answer["method"] == "public/test"
    assert proto.reply({"method": "heartbeat", "params": {"type": "heartbeat"}}) is None


def test_subscriptions_follow_the_configured_assets():
    from ingest.config import SourceConfig

    src = SourceConfig("bybit", True, "venue", "http://x", ("BTC", "ETH"), 1.0, ws_url="ws://x")
    [msg] = ws_protocols()["bybit"].subscribe(src)
    assert json.loads(msg)["args"] == ["allLiquidation.BTCUSDT", "allLiquidation.ETHUSDT"]
    # Binance: the all-market stream (never quiet for long); the kept symbols are picked when classifying
    [msg] = ws_protocols()["binance"].subscribe(src)
    assert json.loads(msg) == {"method": "SUBSCRIBE", "params": ["!forceOrder@arr"], "id": 1}


def _source(name, **extra):
    from ingest.config import SourceConfig

    return SourceConfig(name, True, "venue", "http://x", ("BTC", "ETH"), 1.0, ws_url="ws://x", extra=extra)


def test_binance_keeps_its_symbols_and_lands_the_rest_of_the_market_aside():
    classify = ws_protocols()["binance"].classify_for(_source("binance"))
    event = {"e": "forceOrder", "E": 1, "o": {"s": "BTCUSDT", "S": "SELL"}}
    assert classify(event) == P.DATA
    # the combined-stream form (/market/stream?streams=...) is the same event in an envelope
    assert classify({"stream": "!forceOrder@arr", "data": event}) == P.DATA
    for other in ("SOLUSDT", "BTCUSDC", "BTCUSDT_261225", "BTCDOMUSDT"):
        msg = {"e": "forceOrder", "E": 1, "o": {"s": other}}
        assert classify(msg) == P.OTHER and P.dataset_for(classify(msg)) == P.CONTROL_DATASET
        assert classify({"stream": "!forceOrder@arr", "data": msg}) == P.OTHER
    assert P.OTHER in P.TRAFFIC and P.ACK not in P.TRAFFIC and P.CONTROL not in P.TRAFFIC
    assert classify({"result": None, "id": 1}) == P.ACK


def test_silence_alarm_per_source_with_the_venue_default():
    binance = ws_protocols()["binance"]
    assert binance.silence_for(_source("binance")) == binance.silence_alarm > 0
    assert binance.silence_for(_source("binance", ws_silence_alarm_seconds=30)) == 30.0
    assert binance.silence_for(_source("binance", ws_silence_alarm_seconds=0)) is None
    assert binance.silence_for(_source("binance", ws_silence_alarm_seconds=None)) is None
    assert ws_protocols()["bitmex"].silence_for(_source("bitmex")) is None  # quiet hours are normal there
    for bad in ("10m", -5, True):
        with pytest.raises(ValueError, match="ws_silence_alarm_seconds"):
            binance.silence_for(_source("binance", ws_silence_alarm_seconds=bad))
