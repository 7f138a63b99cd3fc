"""A connection that is open and subscribed but fed nothing is a gap, not a heard hour: the collector's
silence alarm closes it, records the time since its last data message (or ack) as a gap, reconnects, and
`dwh status` shows the alert. Binance's retired unrouted /ws (still open, acks, pushes no liquidation) is
the real case; the sandbox serves it the same way. The routed /market path feeds the alarm, and its
combined-stream form (/market/stream?streams=...) lands wrapped events that load like raw ones."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import duckdb
import pytest

from dwh.status import collect
from ingest.config import load_sources
from ingest.load import load_day
from ingest.stream.clock import ReplayClock
from ingest.stream.collector import Collector
from ingest.stream.load import load_stream_day
from ingest.venues import datasets_for
from tests.cli._helpers import dwh
from tests.stream._helpers import SQUEEZE, gaps, landed, parse, run_in_thread, start_replay, wait_for

pytestmark = pytest.mark.slow
RATE = 120.0  # two simulated minutes per wall second
ALARM = 300  # simulated seconds: 2.5 wall seconds; the squeeze has Binance liquidations every few seconds


def _binance(sandbox, sandbox_sources, path):
    src = load_sources(sandbox_sources)["binance"]
    url = sandbox.url.replace("http://", "ws://") + path
    return dataclasses.replace(src, ws_url=url, extra={**src.extra, "ws_silence_alarm_seconds": ALARM})


def test_deaf_legacy_path_is_a_gap_reconnects_and_alerts(sandbox, sandbox_sources, data_dir):
    source = _binance(sandbox, sandbox_sources, "/binance/ws")
    epoch = start_replay(sandbox, SQUEEZE, RATE)
    until = SQUEEZE + dt.timedelta(minutes=16)
    collector = Collector([source], data_dir, clock=ReplayClock(SQUEEZE.timestamp(), RATE, epoch),
                          until=until.timestamp(), flush_every=1, base_backoff=0.2, max_backoff=0.5)
    duckdb.connect(str(data_dir / "warehouse.duckdb")).close()  # status reads a warehouse (empty so far)
    thread, box = run_in_thread(collector)
    try:
        runner = collector.runners[0]
        # while it runs, the standing alarm is in the collector's state and in `dwh status`
        wait_for(lambda: runner.alarms >= 1 and "alarm" in json.loads(
            (data_dir / "landing/_gaps/source=binance/_state.json").read_text()), 20, "the first alarm")
        live = collect(data_dir / "warehouse.duckdb", data_dir / "snapshot.duckdb", landing=data_dir / "landing")
        [standing] = [s for s in live.sections if s.title.startswith("Stream alerts: collector alarms")]
        assert standing.rows[0][0] == "binance" and standing.rows[0][4].startswith("silent connection: no data")
        thread.join(timeout=30)
        assert not thread.is_alive()
    finally:
        collector.stop()
        thread.join(timeout=10)
        sandbox.stop_replay()

    stats = box["stats"]["binance"]
    assert stats["alarms"] >= 2 and stats["connections"] >= stats["alarms"]  # reconnected after each alarm
    assert landed(data_dir, "binance") == []  # nothing was ever delivered there
    logged = gaps(data_dir, "binance")
    assert len(logged) >= 2 and all(g["reason"].startswith("silent connection: no data message") for g in logged)
    spans = sorted((parse(g["started_at"]), parse(g["ended_at"])) for g in logged)
    assert SQUEEZE <= spans[0][0] < spans[0][1]
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start == end  # each deaf stretch starts at the ack that ended the previous gap: no heard hole
    # the stretch before the alarm rang is part of the gap (not counted as heard), not only the reconnect
    assert (spans[0][1] - spans[0][0]).total_seconds() >= ALARM

    # the daily load records the gaps next to the hour files the connection kept while it looked subscribed
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    load_stream_day(con, data_dir, SQUEEZE.date(), "binance", datasets_for("binance"))
    files_14h = con.execute("select files from raw.stream_hours where source = 'binance' "
                            "and dataset = 'liquidations_ws' and hour = 14").fetchone()[0]
    overlapping = con.execute("""select count(*) from raw.stream_gaps where source = 'binance'
        and started_at < TIMESTAMPTZ '2026-11-26 15:00:00+00' and ended_at > TIMESTAMPTZ '2026-11-26 14:00:00+00'""").fetchone()[0]
    con.close()
    assert files_14h > 0 and overlapping >= 2  # files alone would say "heard"; the gaps say otherwise

    after = collect(data_dir / "warehouse.duckdb", data_dir / "snapshot.duckdb", landing=data_dir / "landing")
    [alerts] = [s for s in after.sections if s.title.startswith("Stream alerts: silent connections")]
    assert "2026-11-26" in alerts.title and {r[0] for r in alerts.rows} == {"binance"}
    assert len(alerts.rows) == len(logged) and alerts.note.startswith("ALERT")
    # a clean stop: no alarm is left standing in the state file
    assert not any(s.title.startswith("Stream alerts: collector alarms") for s in after.sections)
    # and the user sees it where they look
    proc = dwh("status", data_dir=data_dir, env={"COLUMNS": "250"})
    assert proc.returncode == 0, proc.stderr
    assert "Stream alerts: silent connections on 2026-11-26" in proc.stdout and "ALERT: 1 source(s)" in proc.stdout


def test_the_routed_market_path_feeds_the_same_alarm_without_a_gap(sandbox, sandbox_sources, data_dir):
    source = _binance(sandbox, sandbox_sources, "/binance/market/ws")
    epoch = start_replay(sandbox, SQUEEZE, RATE)
    until = SQUEEZE + dt.timedelta(minutes=12)
    collector = Collector([source], data_dir, clock=ReplayClock(SQUEEZE.timestamp(), RATE, epoch),
                          until=until.timestamp(), flush_every=1, base_backoff=0.2)
    thread, box = run_in_thread(collector)
    try:
        thread.join(timeout=30)
        assert not thread.is_alive()
    finally:
        collector.stop()
        thread.join(timeout=10)
        sandbox.stop_replay()
    assert box["stats"]["binance"] == {"connections": 1, "messages": box["stats"]["binance"]["messages"],
                                       "alarms": 0}
    assert gaps(data_dir, "binance") == []
    assert len(landed(data_dir, "binance")) > 10


def test_a_collector_stopped_while_not_listening_keeps_that_stretch_in_the_next_gap(sandbox, sandbox_sources,
                                                                                    data_dir):
    """Stopped (or killed) while its venue was unreachable: the gap starts when listening stopped, not at the stop."""
    dead = dataclasses.replace(_binance(sandbox, sandbox_sources, "/binance/market/ws"),
                               ws_url="ws://127.0.0.1:9/market/ws")  # nothing listens on the discard port
    epoch = start_replay(sandbox, SQUEEZE, RATE)
    clock = ReplayClock(SQUEEZE.timestamp(), RATE, epoch)
    first = Collector([dead], data_dir, clock=clock, until=(SQUEEZE + dt.timedelta(minutes=4)).timestamp(),
                      base_backoff=0.2, max_backoff=0.5)
    thread, _ = run_in_thread(first)
    thread.join(timeout=30)
    state = json.loads((data_dir / "landing/_gaps/source=binance/_state.json").read_text())
    assert state["status"] == "stopped" and "could not subscribe" in state["down_reason"]
    try:
        second = Collector([_binance(sandbox, sandbox_sources, "/binance/market/ws")], data_dir, clock=clock,
                           until=(SQUEEZE + dt.timedelta(minutes=8)).timestamp(), base_backoff=0.2)
        thread, _ = run_in_thread(second)
        thread.join(timeout=30)
    finally:
        sandbox.stop_replay()
    [gap] = gaps(data_dir, "binance")
    assert parse(gap["started_at"]) == dt.datetime.fromtimestamp(first.started_at, dt.UTC)
    assert "could not subscribe" in gap["reason"] and "then collector stopped" in gap["reason"]
    assert parse(gap["ended_at"]) >= SQUEEZE + dt.timedelta(minutes=4)


def test_the_combined_stream_path_lands_wrapped_events_that_load_without_quarantine(sandbox, sandbox_sources,
                                                                                     data_dir):
    source = _binance(sandbox, sandbox_sources, "/binance/market/stream?streams=btcusdt@forceOrder/ethusdt@forceOrder")
    epoch = start_replay(sandbox, SQUEEZE, RATE)
    collector = Collector([source], data_dir, clock=ReplayClock(SQUEEZE.timestamp(), RATE, epoch),
                          until=(SQUEEZE + dt.timedelta(minutes=10)).timestamp(), flush_every=1)
    thread, _ = run_in_thread(collector)
    try:
        thread.join(timeout=30)
    finally:
        collector.stop()
        thread.join(timeout=10)
        sandbox.stop_replay()
    wrapped = [json.loads(m["body"]) for m in landed(data_dir, "binance")]
    assert wrapped and all(set(w) == {"stream", "data"} for w in wrapped)  # landed unchanged
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    out = load_day(con, data_dir, SQUEEZE.date(), {"binance": [d for d in datasets_for("binance") if d.fetch is None]})
    assert out["binance.liquidations_ws"]["quarantined"] == 0
    assert out["binance.liquidations_ws"]["loaded"] == len({(w["data"]["o"]["s"], w["data"]["o"]["T"]) for w in wrapped})
    con.close()
