"""The raw landing zone: every response stored unchanged, compressed, immutable, with its request.

Layout under `$DWH_DATA_DIR/landing/`:
    source=<s>/dataset=<d>/date=<YYYY-MM-DD>/<run_id>-<seq>.ndjson.gz   one response per file
    _runs/source=<s>/date=<YYYY-MM-DD>/<run_id>.json                    what an ingest run did

A response file holds one JSON line: the request (method, url, params, body), `fetched_at`,
`status`, `sha256` of the body bytes and the body itself as text (`body_encoding` utf-8), or
base64 when the bytes are not text. Files are written to a temporary name and renamed, so a reader
never sees half a file and a crash loses at most the response in flight.
"""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from ingest.http import Exchange


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:8]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def dataset_dir(root: Path, source: str, dataset: str, day: dt.date) -> Path:
    return root / "landing" / f"source={source}" / f"dataset={dataset}" / f"date={day.isoformat()}"


def runs_dir(root: Path, source: str, day: dt.date) -> Path:
    return root / "landing" / "_runs" / f"source={source}" / f"date={day.isoformat()}"


def encode_body(body: bytes) -> tuple[str, str]:
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


class Lander:
    """Lands the responses of one (source, dataset, day) for one run."""

    def __init__(self, root: Path, source: str, dataset: str, day: dt.date, run_id: str):
        self.dir = dataset_dir(root, source, dataset, day)
        self.source, self.dataset, self.day, self.run_id = source, dataset, day, run_id
        self.count = 0
        self.statuses: dict[int, int] = {}
        self._lock = threading.Lock()

    def __call__(self, ex: Exchange) -> None:
        self.land(ex)

    def land(self, ex: Exchange) -> Path:
        text, encoding = encode_body(ex.body)
        record: dict[str, Any] = {
            "source": self.source,
            "dataset": self.dataset,
            "date": self.day.isoformat(),
            "run_id": self.run_id,
            "method": ex.method,
            "url": ex.url,
            "params": ex.params,
            "request_body": ex.json_body,
            "fetched_at": dt.datetime.fromtimestamp(ex.fetched_at, dt.UTC).isoformat(),
            "elapsed_s": round(ex.elapsed_s, 4),
            "attempt": ex.attempt,
            "status": ex.status,
            "sha256": hashlib.sha256(ex.body).hexdigest(),
            "body_encoding": encoding,
            "body": text,
        }
        with self._lock:
            self.count += 1
            seq = self.count
            self.statuses[ex.status] = self.statuses.get(ex.status, 0) + 1
        path = self.dir / f"{self.run_id}-{seq:06d}.ndjson.gz"
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        # mtime=0 keeps the gzip bytes a pure function of the content.
        atomic_write_bytes(path, gzip.compress(line.encode("utf-8"), compresslevel=6, mtime=0))
        return path


def write_run_manifest(root: Path, source: str, day: dt.date, run_id: str, manifest: dict[str, Any]) -> Path:
    path = runs_dir(root, source, day) / f"{run_id}.json"
    atomic_write_bytes(path, json.dumps(manifest, indent=2, default=str).encode("utf-8"))
    return path
