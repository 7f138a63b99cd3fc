"""Run one source's fetches for one UTC day: land everything, write what happened, fail loudly."""
from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

from ingest.config import SourceConfig, data_dir, get_source
from ingest.http import CircuitBreaker, HttpClient
from ingest.landing import Lander, new_run_id, write_run_manifest
from ingest.spec import FetchContext, InputMissing
from ingest.venues import datasets_for

log = logging.getLogger(__name__)


class IngestFailed(RuntimeError):
    """At least one dataset of the source failed; the manifest says which and why."""

    def __init__(self, manifest: dict[str, Any]):
        failed = {d: v["error"] for d, v in manifest["datasets"].items() if v["status"] == "failed"}
        skipped = {d: v["error"] for d, v in manifest["datasets"].items() if v.get("skipped_because")}
        super().__init__(f"{manifest['source']} {manifest['date']}: failed datasets {failed}"
                         + (f"; skipped because of them: {skipped}" if skipped else ""))
        self.manifest = manifest


def client_for(source: SourceConfig, lander: Lander | None = None, breaker: CircuitBreaker | None = None,
               **overrides: Any) -> HttpClient:
    headers = {"User-Agent": "crypto-dwh/0.1"}
    key = source.api_key()
    if key and source.extra.get("api_key_header"):
        headers[str(source.extra["api_key_header"])] = key
    return HttpClient(source.base_url, source=source.name, requests_per_second=source.requests_per_second,
                      headers=headers, on_response=lander, breaker=breaker, **overrides)


def missing_key_reason(source: SourceConfig) -> str | None:
    """Why an aggregator is skipped: they are disabled unless a key is configured."""
    if source.kind != "aggregator" or source.api_key() is not None:
        return None
    env = source.extra.get("api_key_env")
    where = f"env var {env} or " if env else ""
    return f"no API key configured ({where}Airflow connection dwh_{source.name})"


def _input_missing(manifest: dict[str, Any], name: str, exc: InputMissing) -> dict[str, Any]:
    """A dataset without its input: skipped because of the input when that failed in this run (its
    own failure is the one to fix), failed when the input was not run at all (asked for alone)."""
    upstream = manifest["datasets"].get(exc.input_dataset)
    if upstream is not None and upstream["status"] in ("failed", "skipped"):
        cause = str(upstream.get("error") or "").splitlines()[0][:300]
        reason = f"input dataset {exc.input_dataset} {upstream['status']}: {cause}"
        log.warning("%s/%s skipped: %s", manifest["source"], name, reason)
        return {"status": "skipped", "error": reason, "skipped_because": exc.input_dataset}
    log.error("%s/%s %s failed: %s", manifest["source"], name, manifest["date"], exc)
    return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}


def ingest_source(source_name: str, day: dt.date, *, root: Path | None = None, sources_file: Path | str | None = None,
                  datasets: list[str] | None = None, raise_on_failure: bool = True,
                  client_overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    source = get_source(source_name, sources_file)
    root = root or data_dir()
    run_id = new_run_id()
    manifest: dict[str, Any] = {"source": source.name, "date": day.isoformat(), "run_id": run_id,
                                "started_at": dt.datetime.now(dt.UTC).isoformat(), "datasets": {}}
    skip_reason = missing_key_reason(source)
    handover: dict[str, Any] = {}  # one run's datasets, in order, pass on what later ones need
    # One breaker for the run's datasets: a host found dead by the first is not retried by each of the others.
    overrides = dict(client_overrides or {})
    breaker = CircuitBreaker(source.name, overrides.pop("breaker_threshold", 4))
    for ds in datasets_for(source.name):
        if ds.fetch is None or (datasets and ds.name not in datasets):
            continue
        if skip_reason:  # an optional source without its key: say so in the manifest, ask nothing
            manifest["datasets"][ds.name] = {"status": "skipped", "error": skip_reason, "responses": 0,
                                             "statuses": {}, "seconds": 0.0}
            continue
        lander = Lander(root, source.name, ds.name, day, run_id)
        started = time.time()
        entry: dict[str, Any] = {"status": "ok", "error": None}
        client = None
        try:
            with client_for(source, lander, breaker, **overrides) as client:
                ctx = FetchContext(source=source, client=client, day=day, log=log, handover=handover)
                ds.fetch(ctx)
                entry["http"] = dict(client.stats)
                entry["notes"] = ctx.notes
        except InputMissing as exc:
            entry = _input_missing(manifest, ds.name, exc)
        except Exception as exc:  # one dataset failing must not stop the source's others
            log.error("%s/%s %s failed: %s", source.name, ds.name, day, exc)
            entry = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
            if client is not None:  # what was asked before it failed: responses landed = requests - transport errors
                entry["http"] = dict(client.stats)
        entry.update(responses=lander.count, statuses={str(k): v for k, v in lander.statuses.items()},
                     seconds=round(time.time() - started, 3))
        manifest["datasets"][ds.name] = entry
    if breaker.opened:
        manifest["unreachable"] = breaker.opened
    manifest["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    write_run_manifest(root, source.name, day, run_id, manifest)
    if raise_on_failure and any(v["status"] == "failed" for v in manifest["datasets"].values()):
        raise IngestFailed(manifest)
    return manifest
