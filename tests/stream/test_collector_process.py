"""`python -m ingest.stream` (what `dwh-collector` runs) as a process: SIGTERM flushes and closes,
SIGKILL mid-hour loses no flushed message, leaves no corrupt file, and the restart records the gap."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import PROJECT
from tests.stream._helpers import SQUEEZE, gaps, landed, parse, start_replay, wait_for

pytestmark = pytest.mark.slow
RATE = 60.0  # a simulated minute per second: a few liquidations per second in the squeeze


def _collector(data_dir, sources_file, epoch, *extra):
    env = dict(os.environ, DWH_DATA_DIR=str(data_dir), DWH_SOURCES=str(sources_file))
    cmd = [sys.executable, "-m", "ingest.stream", "--sources", "binance", "--clock-start", SQUEEZE.isoformat(),
           "--clock-rate", str(RATE), "--clock-epoch", repr(epoch), *extra]
    return subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _partials(data_dir):
    return list((data_dir / "landing" / "source=binance").rglob("*.ndjson.partial"))


def _complete_lines(path):
    data = path.read_bytes()
    return [json.loads(x) for x in data[: data.rfind(b"\n") + 1].splitlines()]


def test_sigterm_flushes_and_closes_every_file(sandbox, sandbox_sources, data_dir):
    epoch = start_replay(sandbox, SQUEEZE, RATE)
    # nothing is made durable on its own here: only the shutdown can save these messages
    proc = _collector(data_dir, sandbox_sources, epoch, "--flush-every", "100000", "--flush-seconds", "3600")
    try:
        wait_for(lambda: any(c["venue"] == "binance" and c["sent"] >= 6
                             for c in sandbox.stream_connections()), 30, "messages sent")
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
        sandbox.stop_replay()
    assert proc.returncode == 0, out
    received = int(re.search(r"'binance': \{'connections': 1, 'messages': (\d+), 'alarms': 0\}", out).group(1))
    assert received >= 6
    assert not _partials(data_dir)
    assert len(landed(data_dir, "binance")) + len(landed(data_dir, "binance", "ws_control")) == received
    state = json.loads((data_dir / "landing/_gaps/source=binance/_state.json").read_text())
    assert state["status"] == "stopped"


def test_sigkill_mid_hour_then_restart(sandbox, sandbox_sources, data_dir):
    epoch = start_replay(sandbox, SQUEEZE, RATE)
    proc = _collector(data_dir, sandbox_sources, epoch, "--flush-every", "1")
    try:
        partial = wait_for(lambda: next((p for p in _partials(data_dir) if "liquidations_ws" in str(p)
                                         and p.read_bytes().count(b"\n") >= 8), None), 30, "a partial file")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        killed_at = SQUEEZE + dt.timedelta(seconds=(time.time() - epoch) * RATE)
        flushed = _complete_lines(partial)  # every message was fsynced: all of these must survive
        assert partial.exists() and len(flushed) >= 8

        until = killed_at + dt.timedelta(minutes=3)
        proc = _collector(data_dir, sandbox_sources, epoch, "--flush-every", "1", "--until", until.isoformat())
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
        sandbox.stop_replay()
    assert proc.returncode == 0, out

    assert not _partials(data_dir)  # the leftover was recovered and closed, the new run closed its own
    for path in (data_dir / "landing" / "source=binance").rglob("*.ndjson.gz"):
        for line in gzip.decompress(path.read_bytes()).splitlines():  # every file whole, every line JSON
            json.loads(line)
    recovered = partial.with_name(partial.name.replace(".ndjson.partial", ".ndjson.gz"))
    kept = [json.loads(x) for x in gzip.decompress(recovered.read_bytes()).splitlines()]
    assert kept[: len(flushed)] == flushed

    [gap] = gaps(data_dir, "binance")
    assert "no clean stop" in gap["reason"] and "recovered" in gap["reason"]
    started, ended = parse(gap["started_at"]), parse(gap["ended_at"])
    # from the dead collector's last sign of life (written every wall second) to the new subscription
    assert killed_at - dt.timedelta(seconds=3 * RATE) <= started <= killed_at <= ended
    # the restarted collector lands again after the gap
    assert any(parse(m["received_at"]) >= ended for m in landed(data_dir, "binance"))
