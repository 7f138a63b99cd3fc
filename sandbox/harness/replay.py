"""The websocket collector over a time-compressed sandbox replay (demo, tests).

A live collector runs for weeks beside the daily runs; the demo has minutes. So one real collector
process (`python -m ingest.stream`, the code `dwh-collector` runs) listens to the sandbox for the whole
demo, but simulated time only moves while a day is being replayed: before day D is ingested, the
sandbox replays D in a few steps (and two minutes past its midnight) at `rate` x speed and the
collector's clock follows the very same windows (a schedule file, ingest.stream.clock.ScheduleClock);
after each step both hold still until the sandbox has sent what was due and the collector has read it.
On an idle machine the arrival lag is milliseconds of wall time (about a simulated minute); under load
it grows, but never past a step, so no message is filed in the wrong day. The collector is the product's,
unchanged: only this harness knows the sandbox is behind the URLs.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess  # argument lists only, never a shell  # nosec B404
import sys
import time
from pathlib import Path

from ingest.config import PROJECT_ROOT, data_dir
from ingest.stream.cli import streaming_sources
from ingest.stream.writer import PARTIAL
from sandbox.client import SandboxClient

UTC = dt.UTC
SETTLE_S = 120  # simulated seconds past midnight replayed with a day, for messages that arrive late
LEAD_S = 0.03  # wall seconds between announcing a window and time starting to move


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=UTC)


class ReplayCollector:
    def __init__(self, sandbox: SandboxClient, start: dt.date, *, seconds_per_day: float = 1.5, step_hours: int = 3,
                 sources: list[str] | None = None, workdir: Path | None = None):
        self.sandbox, self.rate, self.step_hours = sandbox, 86400.0 / seconds_per_day, step_hours
        self.sources = [s.name for s in streaming_sources(sources)]
        self.workdir = workdir or data_dir() / "demo"
        self.clock_file = self.workdir / "collector_clock.json"
        self.progress_file = self.workdir / "collector_progress.json"
        self.log_path = self.workdir / "collector.log"
        self.position = _midnight(start)  # simulated time both clocks hold at between windows
        self.proc: subprocess.Popen | None = None

    def _window(self, end: dt.datetime) -> float:
        """Announce [position, end) to the collector and the sandbox; returns the wall time it ends."""
        epoch = time.time() + LEAD_S
        start, stop = self.position.timestamp(), end.timestamp()
        tmp = self.clock_file.with_name(self.clock_file.name + ".tmp")  # renamed whole; durability is moot
        tmp.write_text(json.dumps({"start": start, "rate": self.rate, "wall_epoch": epoch, "end": stop}))
        os.replace(tmp, self.clock_file)
        # The sandbox may only move once the collector's clock moves with it: a message stamped by a clock
        # still holding at the previous window would land an hour early.
        deadline = time.time() + 30
        while self.proc is not None:
            progress = self._progress()
            if progress and progress.get("window") and progress["window"][2] == epoch:
                break
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"collector did not take the replay window (see {self.log_path})")
            time.sleep(0.002)
        self.sandbox.replay_streams(self.position, self.rate, wall_epoch=epoch, end=end)
        self.position = end
        return epoch + (stop - start) / self.rate

    def __enter__(self) -> ReplayCollector:
        if not self.sources:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._window(self.position)  # time stands still until the first day is played
        self.progress_file.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "ingest.stream", "--sources", ",".join(self.sources),
               "--clock-file", str(self.clock_file), "--progress-file", str(self.progress_file)]
        self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=dict(os.environ),
                                     stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT)  # argument list, no shell  # nosec B603
        deadline = time.time() + 60
        while True:
            conns = self.sandbox.stream_connections()
            if {c["venue"] for c in conns if c["subscriptions"]} >= set(self.sources):
                return self
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"collector did not subscribe to {self.sources} (see {self.log_path})")
            time.sleep(0.05)

    def _step(self, end: dt.datetime, timeout: float) -> None:
        """Play up to `end`, hold there, and wait until the sandbox has sent everything due by then."""
        ends = self._window(end)
        time.sleep(max(0.0, ends - time.time()))
        target = int(end.timestamp() * 1000)
        deadline = time.time() + timeout
        sent: dict[str, int] | None = None
        while True:
            if sent is None:  # first the sandbox must have sent everything due by `end` ...
                conns = [c for c in self.sandbox.stream_connections()
                         if c["venue"] in self.sources and c["subscriptions"]]
                if {c["venue"] for c in conns} >= set(self.sources) and all(c["caught_up_ms"] >= target
                                                                           for c in conns):
                    sent = {c["venue"]: c["sent"] for c in conns}
            if sent is not None:  # ... then the collector must have read (and stamped) all of it
                progress = self._progress()
                if progress and all(progress["messages"].get(v, -1) >= n for v, n in sent.items()):
                    return
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"replay to {end} did not complete (see {self.log_path})")
            time.sleep(0.003)

    def _progress(self) -> dict | None:
        try:
            return json.loads(self.progress_file.read_text())
        except (OSError, ValueError):
            return None

    def play_day(self, day: dt.date, timeout: float = 60.0) -> None:
        """Replay `day` in steps of `step_hours` (then to a little past its midnight); wait until the
        collector closed the day's files.

        After each step both clocks hold at its last millisecond until the sandbox has sent all that was
        due and the collector has read as many messages as were sent. A stall of either process (2 shared
        cores) then slows the replay down instead of carrying a message past the step: it may be filed an
        hour or two late within its day (as a slow network would), never in the next day.
        """
        if not self.proc:
            return
        midnight = _midnight(day)
        for hour in range(self.step_hours, 24 + self.step_hours, self.step_hours):
            self._step(midnight + dt.timedelta(hours=min(hour, 24)) - dt.timedelta(milliseconds=1), timeout)
        self._step(midnight + dt.timedelta(days=1, seconds=SETTLE_S), timeout)
        deadline = time.time() + timeout
        root = data_dir() / "landing"
        while any(any(root.glob(f"source={s}/dataset=*/date={day.isoformat()}/hour=*/*{PARTIAL}"))
                  for s in self.sources):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"collector left open files for {day} (see {self.log_path})")
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        if not self.proc:
            return
        self.proc.send_signal(signal.SIGTERM)  # what an operator does: flush, close the files, record the stop
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        finally:
            self.sandbox.stop_replay()
