"""The daily load of websocket datasets: hour folders, the hours present, the gaps, reruns."""
from __future__ import annotations

import datetime as dt
import json

import duckdb

from ingest.load import load_day
from ingest.stream.gaps import SourceLog
from ingest.stream.writer import HourlyWriter
from ingest.venues import datasets_for

DAY = dt.date(2026, 11, 26)
T0 = dt.datetime.combine(DAY, dt.time(), tzinfo=dt.UTC).timestamp()


def _bybit_message(t_ms: int, side: str = "Buy") -> str:
    return json.dumps({"topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": t_ms,
                       "data": [{"T": t_ms, "s": "BTCUSDT", "S": side, "v": "0.5", "p": "90000.5"}]})


def _land_day(root, missing_hours):
    """A day of collector output with a disconnection over `missing_hours` (messages every 10 minutes)."""
    conn = 1
    w = HourlyWriter(root, "bybit", f"run-{conn}", "ws://sandbox/bybit")
    for minute in range(0, 24 * 60, 10):
        hour = minute // 60
        t = T0 + minute * 60
        if hour in missing_hours:
            if w is not None:
                w.close()
                w = None
            continue
        if w is None:
            conn += 1
            w = HourlyWriter(root, "bybit", f"run-{conn}", "ws://sandbox/bybit")
        w.ensure("liquidations_ws", t)
        w.write("liquidations_ws", t, _bybit_message(int(t * 1000)))
        w.write("ws_control", t, '{"success":true,"ret_msg":"pong","op":"ping"}')
        w.tick(t)
    w.close()
    SourceLog(root, "bybit", "run-x").record_gap(T0 + min(missing_hours) * 3600 - 1,
                                                 T0 + (max(missing_hours) + 1) * 3600 + 5, "connection lost")


def test_daily_load_reads_hour_folders_and_records_missing_hours(tmp_path):
    _land_day(tmp_path, missing_hours={6, 7})
    con = duckdb.connect()
    out = load_day(con, tmp_path, DAY, {"bybit": datasets_for("bybit")})
    assert out["bybit.liquidations_ws"]["quarantined"] == 0
    assert out["bybit.liquidations_ws"]["loaded"] == 22 * 6  # control messages (pongs) are not records
    hours = con.execute("""select hour, files, messages from raw.stream_hours
                           where source = 'bybit' and dataset = 'liquidations_ws' order by hour""").fetchall()
    assert len(hours) == 24
    assert [h for h, files, _ in hours if files == 0] == [6, 7]
    assert all(msgs == 6 for h, files, msgs in hours if h not in (6, 7))
    [(started, ended, reason)] = con.execute(
        "select started_at, ended_at, reason from raw.stream_gaps where source = 'bybit'").fetchall()
    assert started.hour == 5 and ended.hour == 8 and reason == "connection lost"
    again = load_day(con, tmp_path, DAY, {"bybit": datasets_for("bybit")})  # a rerun changes nothing
    assert again["bybit.liquidations_ws"]["loaded"] == out["bybit.liquidations_ws"]["loaded"]
    assert con.execute("select count(*) from raw.bybit__liquidations_ws").fetchone()[0] == 22 * 6
    assert con.execute("select count(*) from raw.stream_hours").fetchone()[0] == 24
    assert con.execute("select count(*) from raw.stream_gaps").fetchone()[0] == 1


def test_a_quiet_hour_is_an_empty_file_not_a_missing_one(tmp_path):
    w = HourlyWriter(tmp_path, "binance", "run-q", "ws://x")
    w.ensure("liquidations_ws", T0 + 3 * 3600)
    w.close()
    con = duckdb.connect()
    out = load_day(con, tmp_path, DAY, {"binance": [d for d in datasets_for("binance") if d.fetch is None]})
    assert out["binance.liquidations_ws"] == {"files": 1, "responses": 0, "records": 0, "loaded": 0, "quarantined": 0}
    assert con.execute("select files, messages from raw.stream_hours where hour = 3").fetchone() == (1, 0)


def test_a_message_without_records_is_quarantined_with_its_reason(tmp_path):
    w = HourlyWriter(tmp_path, "binance", "run-d", "ws://x")
    # neither the raw event (`o` at the top) nor the combined form (`o` inside `data`)
    w.write("liquidations_ws", T0, json.dumps({"stream": "btcusdt@forceOrder", "data": {"e": "forceOrder"}}))
    w.write("liquidations_ws", T0 + 1, json.dumps({"e": "forceOrder", "E": 1}))
    w.close()
    con = duckdb.connect()
    load_day(con, tmp_path, DAY, {"binance": [d for d in datasets_for("binance") if d.fetch is None]})
    reasons = [r for (r,) in con.execute("select reason from raw.quarantine where source = 'binance'").fetchall()]
    assert len(reasons) == 2 and all(r.startswith("no records at $.o") for r in reasons)


def test_the_combined_stream_form_loads_like_the_raw_event(tmp_path):
    """/market/stream?streams=... wraps each event as {"stream", "data"}: same rows, same keys, no quarantine."""
    order = {"s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": "0.014", "p": "9910", "ap": "9910",
             "X": "FILLED", "l": "0.014", "z": "0.014", "T": 1568014460893}
    w = HourlyWriter(tmp_path, "binance", "run-e", "ws://x")
    w.write("liquidations_ws", T0, json.dumps({"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "o": order}}))
    w.write("liquidations_ws", T0 + 1, json.dumps({"e": "forceOrder", "E": 1, "o": order}))  # the same order, raw
    w.write("liquidations_ws", T0 + 2, json.dumps({"stream": "ethusdt@forceOrder", "data": {
        "e": "forceOrder", "o": {**order, "s": "ETHUSDT", "S": "BUY"}}}))
    w.close()
    con = duckdb.connect()
    out = load_day(con, tmp_path, DAY, {"binance": [d for d in datasets_for("binance") if d.fetch is None]})
    assert out["binance.liquidations_ws"]["quarantined"] == 0
    assert con.execute("select symbol, side, filled_qty, avg_price from raw.binance__liquidations_ws "
                       "order by symbol").fetchall() == [("BTCUSDT", "SELL", 0.014, 9910.0), ("ETHUSDT", "BUY", 0.014, 9910.0)]


def test_a_source_never_streamed_has_no_hours_to_miss(tmp_path):
    con = duckdb.connect()
    out = load_day(con, tmp_path, DAY, {"deribit": [d for d in datasets_for("deribit") if d.fetch is None]})
    assert out["deribit._streams"] == {"hours": 0, "gaps": 0}
    assert con.execute("select count(*) from raw.stream_hours").fetchone()[0] == 0
