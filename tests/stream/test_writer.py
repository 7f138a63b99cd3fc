"""Hourly files of the collector: atomic rotation, durability points, recovery of what a kill left."""
from __future__ import annotations

import datetime as dt
import gzip
import json

from ingest.stream.writer import FINAL, PARTIAL, HourlyWriter, recover_partials

T0 = dt.datetime(2026, 11, 26, 13, 59, 58, tzinfo=dt.UTC).timestamp()


def _lines(path):
    return [json.loads(x) for x in gzip.decompress(path.read_bytes()).splitlines()]


def test_hour_rotation_closes_the_previous_file_atomically(tmp_path):
    w = HourlyWriter(tmp_path, "bybit", "run-1", "ws://x", flush_every=1)
    w.write("liquidations_ws", T0, '{"topic":"allLiquidation.BTCUSDT","data":[]}')
    hour13 = tmp_path / "landing/source=bybit/dataset=liquidations_ws/date=2026-11-26/hour=13"
    assert [p.suffix for p in hour13.iterdir()] == [".partial"]  # open: readers (the loader) do not see it
    w.write("liquidations_ws", T0 + 3, '{"topic":"allLiquidation.BTCUSDT","data":[1]}')  # 14:00:01
    closed = sorted(hour13.glob(f"*{FINAL}"))
    assert len(closed) == 1 and not list(hour13.glob(f"*{PARTIAL}"))
    [env] = _lines(closed[0])
    assert env["body"] == '{"topic":"allLiquidation.BTCUSDT","data":[]}'  # unchanged
    assert env["status"] == 200 and env["conn_id"] == "run-1" and env["received_at"].startswith("2026-11-26T13:59:58")
    assert not list(tmp_path.rglob(".*.tmp"))
    w.tick(T0 + 3700)  # the timer passes 15:00 without a message: 14's file closes too
    hour14 = hour13.parent / "hour=14"
    assert [len(_lines(p)) for p in hour14.glob(f"*{FINAL}")] == [1]
    assert not list(tmp_path.rglob(f"*{PARTIAL}"))


def test_flush_points_make_lines_durable_before_the_hour_ends(tmp_path):
    w = HourlyWriter(tmp_path, "okx", "run-2", "ws://x", flush_every=3, flush_seconds=3600)
    for i in range(7):
        w.write("liquidations_ws", T0, json.dumps({"i": i}))
    [partial] = tmp_path.rglob(f"*{PARTIAL}")
    assert partial.read_bytes().count(b"\n") == 6  # two flushes of three; the 7th is still buffered
    w.close()
    [final] = tmp_path.rglob(f"*{FINAL}")
    assert [json.loads(e["body"])["i"] for e in _lines(final)] == list(range(7))


def test_recovery_keeps_complete_lines_and_drops_a_torn_one(tmp_path):
    w = HourlyWriter(tmp_path, "binance", "run-3", "ws://x", flush_every=1)
    for i in range(3):
        w.write("liquidations_ws", T0, json.dumps({"i": i}))
    [partial] = tmp_path.rglob(f"*{PARTIAL}")
    with open(partial, "ab") as fh:  # what a SIGKILL in the middle of a write leaves
        fh.write(b'{"source":"binance","body":"{\\"i\\": 3')
    stats = recover_partials(tmp_path, "binance")
    assert (stats.files, stats.lines, stats.dropped) == (1, 3, 1)
    [final] = tmp_path.rglob(f"*{FINAL}")
    assert [json.loads(e["body"])["i"] for e in _lines(final)] == [0, 1, 2]
    assert not list(tmp_path.rglob(f"*{PARTIAL}"))
    assert recover_partials(tmp_path, "binance").files == 0  # nothing left to do: idempotent


def test_an_hour_slept_through_still_gets_its_empty_file(tmp_path):
    w = HourlyWriter(tmp_path, "bitmex", "run-4", "ws://x")
    w.write("liquidations_ws", T0 + 2 * 3600, "{}")  # 15:59:58, the 15h file is open
    w.ensure("liquidations_ws", T0 + 3600)  # 14h was never given a file while listening
    base = tmp_path / "landing/source=bitmex/dataset=liquidations_ws/date=2026-11-26"
    assert [len(_lines(p)) for p in (base / "hour=14").glob(f"*{FINAL}")] == [0]
    assert list((base / "hour=15").glob(f"*{PARTIAL}"))  # the open hour is not disturbed
