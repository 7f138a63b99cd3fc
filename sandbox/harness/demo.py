"""`make demo` (`python -m sandbox demo`): the daily pipeline over the sandbox scenario, then a summary of
the last day.

Starts the exchange sandbox, points every source at it, and for each scenario day polls the
retention-limited datasets at D 23:50 (as the hourly poll would), sets the sandbox clock to D+1 00:30 UTC
(when the scheduled run would fetch D), ingests every source and loads D; then runs the last day's steps
after its load (dwh.pipeline.steps_after_load: checks, the one dbt build, the brief, publish) once.
The steps are the same functions the Airflow DAG runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from sandbox.harness.process import SandboxHandle, running_sandbox, sandbox_sources_file
from sandbox.harness.replay import ReplayCollector

DEMO_START = dt.date(2026, 10, 20)
DEMO_END = dt.date(2026, 11, 26)


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def run_days(sandbox: SandboxHandle, day_list: list[dt.date], *, quiet: bool = False,
             streams: ReplayCollector | None = None) -> dict[str, list[str]]:
    """Ingest and load each day as the scheduled run would; returns the failures per day."""
    from dwh import pipeline

    failures: dict[str, list[str]] = {}
    sources = pipeline.source_names()
    for i, day in enumerate(day_list, 1):
        if streams is not None:  # the websocket collector lives through D (compressed) and closes its files
            streams.play_day(day)
        # the last hourly poll of D (dags/liquidations_poll_hourly.py): OKX keeps one day of liquidation orders,
        # so the run at D+1 00:30 alone no longer sees D's first half hour
        sandbox.set_clock(dt.datetime.combine(day, dt.time(23, 50), tzinfo=dt.UTC))
        pipeline.poll(day, sources)
        sandbox.set_clock(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 30), tzinfo=dt.UTC))
        with ThreadPoolExecutor(max_workers=min(6, len(sources))) as pool:
            results = list(pool.map(lambda s, d=day: pipeline.ingest(s, d, raise_on_failure=False), sources))
        failed = [f"{m['source']}.{d}" for m in results for d, v in m["datasets"].items() if v["status"] == "failed"]
        if failed:
            failures[day.isoformat()] = failed
        pipeline.load(day)
        if not quiet:
            print(f"  [{i:2d}/{len(day_list)}] {day} ingested and loaded"
                  + (f" (failed: {', '.join(failed)})" if failed else ""), flush=True)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox demo")
    parser.add_argument("--start", default=DEMO_START.isoformat())
    parser.add_argument("--end", default=DEMO_END.isoformat())
    parser.add_argument("--port", type=int, default=0, help="sandbox port (0: a free one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.time()
    from dwh import pipeline
    from ingest.config import data_dir, warehouse_path

    start, end = pipeline.parse_day(args.start), pipeline.parse_day(args.end)
    # the sandbox's aggregators accept any key; a placeholder enables them (config/sandbox.yml api_key_env)
    for env_name in ("COINALYZE_API_KEY", "COINGLASS_API_KEY"):
        os.environ.setdefault(env_name, "sandbox-placeholder")
    print(f"demo: {start} .. {end} into {data_dir()}", flush=True)
    with running_sandbox(port=args.port) as sandbox:
        os.environ["DWH_SOURCES"] = str(sandbox_sources_file(sandbox.url, data_dir() / "demo" / "sources.yml"))
        # the websocket collector listens throughout; each day is replayed to it, compressed, before D's run
        with ReplayCollector(sandbox, start) as streams:
            failures = run_days(sandbox, days(start, end), streams=streams)
    # the last day's run after its load, step by step as the DAG names them: the marts are built once
    done = {}
    for name, step in pipeline.steps_after_load(end):
        print(f"{name.replace('_', ' ')} ...", flush=True)
        done[name] = step()
    brief, snapshot = done["brief"], done["publish"]
    from dwh.summary import day_summary, print_summary

    print_summary(day_summary(end))
    print()
    print(f"warehouse : {warehouse_path()}")
    print(f"snapshot  : {snapshot}")
    if brief:
        print(f"brief     : {brief}")
    print(f"landing   : {data_dir() / 'landing'}")
    if failures:
        print(f"ingest failures: {failures}")
    print(f"demo wall time: {time.time() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
