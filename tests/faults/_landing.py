"""Reading the landing zone back in plain Python, independently of the loader's SQL.

The fault matrix counts what the venues said (responses, records in 2xx bodies) from the landed
files themselves, so the loader's own counts can be checked against something it did not compute.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ingest.landing import dataset_dir


@dataclass(frozen=True)
class Landed:
    """One landed response: where it went, what was asked and what came back."""

    path: Path
    seq: str  # `<run_id>-<seq>`: the order the run landed it in
    method: str
    url: str
    request_body: Any
    status: int
    body_text: str | None  # None when the body was not UTF-8 (landed as base64)
    envelope: dict[str, Any]  # everything landed but the body (what `env:` fields read)

    @property
    def venue(self) -> str:
        """The sandbox venue the request went to: the first segment of the URL path."""
        return urlsplit(self.url).path.split("/")[1]

    @property
    def target(self) -> str:
        """The request as the sandbox's fault filter sees it: path and query below the venue, then the
        POST body as the HTTP client serialised it."""
        parts = urlsplit(self.url)
        path_qs = parts.path[len(self.venue) + 1:] + (f"?{parts.query}" if parts.query else "")
        if self.request_body is None:
            return path_qs
        return path_qs + "\n" + json.dumps(self.request_body, ensure_ascii=False, separators=(",", ":"))


def read_landed(path: Path) -> Landed:
    env = json.loads(gzip.decompress(path.read_bytes()))
    text = env["body"] if env.get("body_encoding") == "utf-8" else None
    return Landed(path, path.name.split(".")[0], env["method"], env["url"], env.get("request_body"),
                  int(env["status"]), text, {k: v for k, v in env.items() if k != "body"})


def landed(root: Path, source: str, dataset: str, day: dt.date) -> list[Landed]:
    d = dataset_dir(root, source, dataset, day)
    files = sorted(p for p in d.rglob("*.ndjson.gz") if not p.name.startswith(".")) if d.exists() else []
    return [read_landed(p) for p in files]


def stray_temp_files(root: Path, source: str, dataset: str, day: dt.date) -> list[Path]:
    """Half-written landing files (the lander writes `.name.pid.tmp` and renames): there must be none."""
    d = dataset_dir(root, source, dataset, day)
    return sorted(d.rglob(".*.tmp")) if d.exists() else []


def _walk(node: Any, dotted: str) -> Any:
    for part in [p for p in dotted.lstrip("$").split(".") if p]:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _as_list(node: Any) -> list[Any] | None:
    if isinstance(node, list):
        return node
    if isinstance(node, dict):
        return [node]  # an object where the records sit counts as one record
    return None


@dataclass(frozen=True)
class Record:
    value: Any
    parent: Any  # the enclosing element for nested records (`$.data[*].details`), else None
    envelope: dict[str, Any]


@dataclass
class BodyCount:
    records: list[Record]  # every record found in 2xx bodies, in landing order
    bad_bodies: int  # 2xx bodies that are not JSON or have no records where the spec says


def records_in(items: list[Landed], records_path: str) -> BodyCount:
    """The records of a dataset's 2xx bodies, found the way the Dataset spec describes them
    (`$`, `$.a.b`, `$.a[*].b` for arrays nested in each element)."""
    outer, _, inner = records_path.partition("[*]")
    out = BodyCount([], 0)
    for item in items:
        if not 200 <= item.status <= 299:
            continue
        try:
            body = json.loads(item.body_text, parse_constant=_refuse) if item.body_text is not None else None
        except ValueError:
            body = None
        found = _as_list(_walk(body, outer)) if body is not None else None
        if found is None:
            out.bad_bodies += 1
            continue
        if not inner:
            out.records.extend(Record(r, None, item.envelope) for r in found)
            continue
        for element in found:
            nested = _walk(element, inner)
            if isinstance(nested, list):
                out.records.extend(Record(r, element, item.envelope) for r in nested)
    return out


def _refuse(token: str) -> None:
    raise ValueError(f"{token} is not JSON (RFC 8259)")


def canonical(value: Any) -> str:
    """One spelling per JSON value, so a record compares equal however it was re-serialised."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
