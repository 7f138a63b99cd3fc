"""Hourly landing files of one connection, crash-safe.

A message is appended as one JSON line to `<conn_id>-<n>.ndjson.partial` in its hour folder and made
durable (flush + fsync) every `flush_every` messages or `flush_seconds`; when the hour ends (or the
connection or the collector stops) the partial is gzipped to a temporary name, fsynced and renamed to
`<conn_id>-<n>.ndjson.gz`, then removed. A reader therefore only ever sees whole files, and a SIGKILL loses
at most the lines written since the last fsync. `recover_partials` finishes what a killed collector left:
complete lines kept, a torn last line dropped (and counted).

Each line is an envelope the loader reads like a REST page: received_at (= fetched_at), conn_id, url,
status 200, body_encoding and the message text as `body`, unchanged.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.landing import encode_body

log = logging.getLogger(__name__)
PARTIAL = ".ndjson.partial"
FINAL = ".ndjson.gz"


def hour_dir(root: Path, source: str, dataset: str, ts: float) -> Path:
    t = dt.datetime.fromtimestamp(ts, dt.UTC)
    return (root / "landing" / f"source={source}" / f"dataset={dataset}" / f"date={t.date().isoformat()}"
            / f"hour={t.hour:02d}")


def hour_start(ts: float) -> float:
    return ts - ts % 3600


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def finalize(partial: Path, lines: list[bytes]) -> Path:
    """Write `lines` as the closed file of `partial` (gzip, temp name, fsync, rename), then drop the partial."""
    final = partial.with_name(partial.name[: -len(PARTIAL)] + FINAL)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(gzip.compress(b"".join(lines), compresslevel=6, mtime=0))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    partial.unlink(missing_ok=True)
    _fsync_dir(final.parent)
    return final


@dataclass
class Recovered:
    files: int = 0
    lines: int = 0
    dropped: int = 0


def _complete_lines(data: bytes) -> tuple[list[bytes], int]:
    """The whole JSON lines of a partial file and how many pieces were dropped (a torn tail, garbage)."""
    pieces = data.split(b"\n")
    tail = pieces.pop()  # after the last newline: empty, or a line the kill cut short
    kept, dropped = [], 1 if tail else 0
    for piece in pieces:
        if not piece:
            continue
        try:
            json.loads(piece)
        except ValueError:
            dropped += 1
            continue
        kept.append(piece + b"\n")
    return kept, dropped


def recover_partials(root: Path, source: str) -> Recovered:
    """Close every `.partial` a previous collector of this source left behind."""
    out = Recovered()
    base = root / "landing" / f"source={source}"
    for partial in sorted(base.glob(f"dataset=*/date=*/hour=*/*{PARTIAL}")) if base.exists() else []:
        lines, dropped = _complete_lines(partial.read_bytes())
        finalize(partial, lines)
        out.files += 1
        out.lines += len(lines)
        out.dropped += dropped
        log.warning("%s: recovered %s (%d lines kept, %d dropped)", source, partial.name, len(lines), dropped)
    return out


class HourFile:
    def __init__(self, partial: Path):
        partial.parent.mkdir(parents=True, exist_ok=True)
        self.partial = partial
        self.fh = open(partial, "ab")
        self.lines = 0
        self.unsynced = 0

    def append(self, line: bytes) -> None:
        self.fh.write(line)
        self.lines += 1
        self.unsynced += 1

    def sync(self) -> None:
        if self.unsynced:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.unsynced = 0

    def close(self) -> Path:
        self.sync()
        self.fh.close()
        return finalize(self.partial, [self.partial.read_bytes()])


class HourlyWriter:
    """The open hour files of one connection, one per dataset, rolled when the hour changes."""

    def __init__(self, root: Path, source: str, conn_id: str, url: str, *, flush_every: int = 100,
                 flush_seconds: float = 1.0):
        self.root, self.source, self.conn_id, self.url = root, source, conn_id, url
        self.flush_every, self.flush_seconds = flush_every, flush_seconds
        self.files: dict[str, tuple[float, HourFile]] = {}  # dataset -> (hour start, file)
        self.seq = 0
        self._n = 0
        self._last_sync = time.monotonic()
        self.closed_files: list[Path] = []

    def _open(self, dataset: str, ts: float) -> HourFile:
        current = self.files.get(dataset)
        hour = hour_start(ts)
        if current and current[0] == hour:
            return current[1]
        if current:
            self.closed_files.append(current[1].close())
        self._n += 1
        f = HourFile(hour_dir(self.root, self.source, dataset, ts) / f"{self.conn_id}-{self._n:04d}{PARTIAL}")
        self.files[dataset] = (hour, f)
        return f

    def ensure(self, dataset: str, ts: float) -> None:
        """Have the hour's file exist even if no message comes: an empty closed file says "we were listening"."""
        current = self.files.get(dataset)
        if current and hour_start(ts) < current[0]:  # an hour the timer slept through: file it as closed
            self._n += 1
            late = HourFile(hour_dir(self.root, self.source, dataset, ts) / f"{self.conn_id}-{self._n:04d}{PARTIAL}")
            self.closed_files.append(late.close())
            return
        self._open(dataset, ts)

    def write(self, dataset: str, received_at: float, body: bytes | str) -> None:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        text, encoding = encode_body(raw)
        self.seq += 1
        received = dt.datetime.fromtimestamp(received_at, dt.UTC).isoformat()
        envelope = {"source": self.source, "dataset": dataset, "conn_id": self.conn_id, "seq": self.seq,
                    "url": self.url, "received_at": received, "fetched_at": received, "status": 200,
                    "body_encoding": encoding, "body": text}
        f = self._open(dataset, received_at)
        f.append(json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        if f.unsynced >= self.flush_every:
            f.sync()

    def tick(self, now: float) -> None:
        """Close files whose hour has passed; make buffered lines durable when flush_seconds have passed."""
        for dataset, (hour, f) in list(self.files.items()):
            if hour_start(now) > hour:
                self.closed_files.append(f.close())
                del self.files[dataset]
        if time.monotonic() - self._last_sync >= self.flush_seconds:
            self.sync()

    def sync(self) -> None:
        for _, f in self.files.values():
            f.sync()
        self._last_sync = time.monotonic()

    def close(self) -> None:
        for _dataset, (_, f) in list(self.files.items()):
            self.closed_files.append(f.close())
        self.files.clear()
