"""The collector against the sandbox's websockets: every event lands once, a forced disconnect is a
recorded gap, the collector resubscribes and what comes after the reconnect lands."""
from __future__ import annotations

import datetime as dt

import pytest

from ingest.config import load_sources
from ingest.stream.clock import ReplayClock
from ingest.stream.collector import Collector
from sandbox.market import liquidations_between, to_ms
from tests.stream._helpers import SQUEEZE, gaps, landed, parse, run_in_thread, start_replay, wait_for

pytestmark = pytest.mark.slow
RATE = 120.0  # two simulated minutes per second


def test_forced_disconnect_is_a_gap_then_resubscribe_and_resume(sandbox, sandbox_sources, data_dir):
    sources = [s for s in load_sources(sandbox_sources).values() if s.name in ("binance", "bybit")]
    epoch = start_replay(sandbox, SQUEEZE, RATE)
    until = SQUEEZE + dt.timedelta(minutes=16)
    collector = Collector(sources, data_dir, clock=ReplayClock(SQUEEZE.timestamp(), RATE, epoch),
                          until=until.timestamp(), flush_every=1, base_backoff=0.2)
    thread, box = run_in_thread(collector)
    try:
        bybit = next(r for r in collector.runners if r.source.name == "bybit")
        wait_for(lambda: bybit.subscribed and bybit.conn_messages > 5, 15, "bybit messages before the cut")
        assert sandbox.disconnect_streams("bybit") == 1
        thread.join(timeout=30)
        assert not thread.is_alive()
    finally:
        collector.stop()
        thread.join(timeout=10)
        sandbox.stop_replay()

    assert box["stats"]["bybit"]["connections"] == 2 and box["stats"]["binance"]["connections"] == 1
    [gap] = gaps(data_dir, "bybit")
    started, ended = parse(gap["started_at"]), parse(gap["ended_at"])
    assert SQUEEZE < started < ended < until and "connection" in gap["reason"]
    assert not gaps(data_dir, "binance")

    bybit = landed(data_dir, "bybit")
    after = [m for m in bybit if m["conn_id"].endswith("-2")]
    assert after and all(parse(m["received_at"]) >= ended for m in after)  # resubscribed and resumed
    assert {m["conn_id"] for m in bybit} == {f"{collector.run_id}-1", f"{collector.run_id}-2"}
    # the control messages of the new connection include the venue's fresh subscribe ack
    acks = [m for m in landed(data_dir, "bybit", "ws_control") if m["conn_id"].endswith("-2")]
    assert any('"op":"subscribe"' in m["body"] and '"success":true' in m["body"] for m in acks)

    # binance never dropped: every liquidation of the window (but the last few seconds) landed exactly once
    import json

    got = [json.loads(m["body"])["o"] for m in landed(data_dir, "binance")]
    keys = [(o["s"], o["T"]) for o in got]
    assert len(keys) == len(set(keys))
    horizon = to_ms(until) - 30_000
    expected = {(e.symbol, e.time_ms) for a in ("BTC", "ETH")
                for e in liquidations_between(7, "binance", a, to_ms(SQUEEZE), horizon)}
    assert expected and expected <= set(keys)
    # and bybit's after the gap, likewise
    bybit_keys = {(r["s"], r["T"]) for m in bybit for r in json.loads(m["body"])["data"]}
    after_gap = {(e.symbol, e.time_ms) for a in ("BTC", "ETH")
                 for e in liquidations_between(7, "bybit", a, to_ms(ended) + 1000, horizon)}
    assert after_gap and after_gap <= bybit_keys

