"""The gaps log and the per-source state that make "we were not listening" a recorded fact.

    landing/_gaps/source=<s>/date=<D>/<run_id>.ndjson   one line per gap: source, started_at, ended_at, reason
    landing/_gaps/source=<s>/_state.json                 run_id, status running|stopped, alive_at, stopped_at,
                                                         alarm (a standing silence alarm: since, raised_at, reason),
                                                         down_since/down_reason (not listening at that moment)
    landing/_gaps/source=<s>/.lock                       held while a collector serves the source

A gap is written when it ends (the venue confirmed the new subscription), into the folder of the day it
ended, so the next daily load picks it up. The state file is refreshed about once a second while running:
after a SIGKILL the restart knows the last moment the dead collector was alive and records the gap from there.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from ingest.landing import atomic_write_bytes
from ingest.stream.clock import iso


def gaps_root(root: Path, source: str) -> Path:
    return root / "landing" / "_gaps" / f"source={source}"


class AlreadyRunning(RuntimeError):
    """Another collector holds the source."""


class SourceLog:
    def __init__(self, root: Path, source: str, run_id: str):
        self.dir = gaps_root(root, source)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.source, self.run_id = source, run_id
        self._lock_fh = None

    # --- exclusivity ---------------------------------------------------------------------------------------
    def lock(self) -> None:
        fh = open(self.dir / ".lock", "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise AlreadyRunning(f"another collector is serving {self.source} ({self.dir / '.lock'})") from None
        self._lock_fh = fh

    def unlock(self) -> None:
        if self._lock_fh:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    # --- state ---------------------------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.dir / "_state.json"

    def previous_state(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return None

    def write_state(self, status: str, now: float, alarm: dict | None = None,
                    down: tuple[float, str] | None = None) -> None:
        doc = {"source": self.source, "run_id": self.run_id, "status": status, "alive_at": iso(now)}
        if status == "stopped":
            doc["stopped_at"] = iso(now)
        if alarm:
            doc["alarm"] = alarm
        if down:
            # not listening since then (dropped, deaf, never subscribed): a restart's gap starts there
            doc["down_since"], doc["down_reason"] = iso(down[0]), down[1]
        atomic_write_bytes(self.state_path, json.dumps(doc).encode())

    # --- gaps ----------------------------------------------------------------------------------------------
    def record_gap(self, started_at: float, ended_at: float, reason: str) -> Path:
        day = iso(ended_at)[:10]
        path = self.dir / f"date={day}" / f"{self.run_id}.ndjson"
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"source": self.source, "started_at": iso(started_at), "ended_at": iso(ended_at),
                           "reason": reason, "run_id": self.run_id}) + "\n"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        return path
