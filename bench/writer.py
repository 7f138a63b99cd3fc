"""Landed files as ingest.landing.Lander writes them, only faster: the same envelope bytes, no fsync.

`envelope_bytes` builds the record dict in Lander.land's key order and serialises it with the same
json.dumps and gzip arguments, so a synthetic file is byte-identical to one the Lander would write
for the same exchange (tests/bench checks that). Skipping the per-file fsync is the only shortcut:
benchmark data can always be generated again.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ingest.http import redact, redact_url
from ingest.landing import dataset_dir, encode_body, runs_dir


def envelope(source: str, dataset: str, day: dt.date, run_id: str, method: str, url: str,
             params: dict[str, Any], request_body: Any, fetched_at: float, body: bytes, *, elapsed_s: float = 0.05,
             attempt: int = 1, status: int = 200) -> dict[str, Any]:
    text, encoding = encode_body(body)
    return {
        "source": source, "dataset": dataset, "date": day.isoformat(), "run_id": run_id, "method": method,
        "url": url, "params": redact(params), "request_body": request_body,
        "fetched_at": dt.datetime.fromtimestamp(fetched_at, dt.UTC).isoformat(),
        "elapsed_s": round(elapsed_s, 4), "attempt": attempt, "status": status,
        "sha256": hashlib.sha256(body).hexdigest(), "body_encoding": encoding, "body": text,
    }


def envelope_bytes(record: dict[str, Any]) -> bytes:
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    return gzip.compress(line.encode("utf-8"), compresslevel=6, mtime=0)


def url_for(base: str, params: dict[str, Any]) -> str:
    """The URL as the HTTP client sends it and the Lander keeps it (query redacted)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return redact_url(f"{base}?{query}" if query else base)


class DayWriter:
    """Every landed file of one source and day under one run id, numbered like a run's responses."""

    def __init__(self, root: Path, source: str, day: dt.date, run_id: str):
        self.root, self.source, self.day, self.run_id = root, source, day, run_id
        self.seq: dict[str, int] = {}
        self.bytes = 0
        self.files = 0
        self.datasets: dict[str, dict[str, Any]] = {}

    def write(self, dataset: str, record: dict[str, Any]) -> Path:
        n = self.seq[dataset] = self.seq.get(dataset, 0) + 1
        d = dataset_dir(self.root, self.source, dataset, self.day)
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{self.run_id}-{n:06d}.ndjson.gz"
        data = envelope_bytes(record)
        path.write_bytes(data)
        self.bytes += len(data)
        self.files += 1
        entry = self.datasets.setdefault(dataset, {"status": "ok", "error": None, "responses": 0, "statuses": {}})
        entry["responses"] += 1
        entry["statuses"][str(record["status"])] = entry["statuses"].get(str(record["status"]), 0) + 1
        return path

    def manifest(self, started: float, finished: float) -> Path:
        m = {"source": self.source, "date": self.day.isoformat(), "run_id": self.run_id,
             "started_at": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(),
             "datasets": self.datasets,
             "finished_at": dt.datetime.fromtimestamp(finished, dt.UTC).isoformat()}
        path = runs_dir(self.root, self.source, self.day) / f"{self.run_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(m, indent=2, default=str))
        return path
