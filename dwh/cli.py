"""`dwh`: the warehouse from a terminal. The steps are the same dwh.pipeline functions the DAG runs.

    dwh run --date D [--source S ...] [--airflow]     the daily pipeline for one date
    dwh backfill --start S --end E [--force]          ingest+load per day (resumable), then build once
    dwh status                                        runs, freshness, failing checks, unverified figures
    dwh sql "<query>" [--format table|csv|json]       read-only query of the published snapshot
    dwh brief --date D | dwh docs

A usage problem (bad date, unknown source, nothing to read yet) is one line on stderr and exit
code 2, never a traceback: the person at the terminal can act on it. A step that fails at run
time exits 1 with the step's message.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Something the user can fix in the command line or by running an earlier step."""


class StepFailed(Exception):
    """A pipeline step ran and failed."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage + message; one line is enough here
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _out(*parts: Any) -> None:
    print(*parts, flush=True)


def _err(message: str) -> None:
    print(f"dwh: error: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- argument checks

def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"not a date (expected YYYY-MM-DD): {value!r}") from None


def _sources(requested: list[str] | None) -> list[str]:
    """The sources a command runs: the named ones (any configured source with an ingest module,
    enabled or not, so a disabled source can still be backfilled on purpose) or every enabled one."""
    from dwh.pipeline import NothingEnabled, require_enabled_sources
    from ingest.config import ConfigError, get_source
    from ingest.venues import MODULES

    try:
        if not requested:
            try:
                names = [n for n in require_enabled_sources() if n in MODULES]
            except NothingEnabled as exc:
                raise UsageError(str(exc)) from None
            if not names:
                raise UsageError("no enabled source with an ingest module in the sources file")
            return names
        names = []
        for name in dict.fromkeys(n.strip().lower() for item in requested for n in item.split(",") if n.strip()):
            get_source(name)
            if name not in MODULES:
                raise UsageError(f"source {name!r} is configured but has no ingest module")
            names.append(name)
        return names
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _snapshot_path() -> Path:
    from dwh.publish import SNAPSHOT_DB
    from ingest.config import data_dir

    return data_dir() / "snapshot" / SNAPSHOT_DB


# ---------------------------------------------------------------- run

def _step(name: str, fn, *args, **kwargs):
    started = time.monotonic()
    _out(f"  {name} ...")
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:
        message = str(exc).strip().splitlines()
        raise StepFailed(f"{name} failed: {message[0] if message else type(exc).__name__}"
                         + ("\n" + "\n".join(message[1:]) if len(message) > 1 else "")) from exc
    _out(f"  {name} done ({time.monotonic() - started:.1f} s)")
    return result


def _sources_file_with(names: list[str]) -> Path:
    """A copy of the sources file in which only `names` are enabled (for the DAG, which reads
    DWH_SOURCES at parse time)."""
    import yaml

    from ingest.config import data_dir, sources_path

    doc = yaml.safe_load(sources_path().read_text()) or {}
    for name, block in (doc.get("sources") or {}).items():
        block["enabled"] = name in names
    target = data_dir() / "state" / "cli"
    target.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="sources-", suffix=".yml", dir=target)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)
    return Path(path)


def cmd_run(args: argparse.Namespace) -> int:
    from dwh import pipeline

    day = _date(args.date)
    sources = _sources(args.source)
    if args.airflow:
        from dwh.airflow_env import airflow_env, run

        extra = {"DWH_SOURCES": str(_sources_file_with(sources))} if args.source else {}
        _out(f"dwh run {day} through Airflow (dags test), sources: {', '.join(sources)}")
        return run(day.isoformat(), airflow_env(extra))

    _out(f"dwh run {day}: {', '.join(sources)}")
    started = time.monotonic()
    manifests = _step(f"ingest ({len(sources)} sources in parallel)", pipeline.ingest_parallel, sources, day)
    _report_ingest(manifests)
    # as in the DAG, where such an ingest task succeeds: an aggregator without its key is skipped by design
    failed = sorted(pipeline.failed_sources(manifests))
    # Like the DAG's all_done trigger: what did land is still loaded and modelled.
    _step("load", pipeline.load, day, sources)
    if not any(v.get("status") == "ok" for m in manifests for v in m["datasets"].values()):
        # Nothing came in (network down, every host refused): modelling would only restate the last day's
        # data under D. The load above recorded the failures (raw.ingest_runs); the snapshot stays as it was.
        _err(f"no source delivered anything for {day}: nothing modelled or published "
             f"(failed: {', '.join(sorted(failed))})")
        return EXIT_FAILED
    _model_check_publish(day, args.no_check_gate)
    _out(f"wall time: {time.monotonic() - started:.1f} s")
    if failed:
        _err(f"ingest failed for {', '.join(sorted(failed))}; the rest was loaded and published")
        return EXIT_FAILED
    return EXIT_OK


def _report_ingest(manifests: list[dict[str, Any]]) -> None:
    """Each failed source with its cause (datasets failing for the same reason on one line), and each
    dataset skipped because an input dataset of its run failed."""
    for m in manifests:
        causes: dict[str, list[str]] = {}
        for name, entry in m["datasets"].items():
            if entry.get("status") == "failed":
                causes.setdefault(str(entry.get("error") or "").strip().split("\n")[0][:400], []).append(name)
        for cause, names in causes.items():
            _out(f"    ingest failed: {m['source']}: {', '.join(names)}: {cause}")
        for name, entry in m["datasets"].items():
            if entry.get("skipped_because"):
                _out(f"    skipped: {m['source']}: {name}, because {entry['error']}")


def cmd_poll(args: argparse.Namespace) -> int:
    from dwh import pipeline

    day = _date(args.date) if args.date else None
    sources = _sources(args.source)
    results = pipeline.poll(day, sources)
    if not results:
        _out("dwh poll: no enabled source has a retention-limited dataset")
        return EXIT_OK
    failed = []
    for source, manifest in results.items():
        for name, entry in manifest["datasets"].items():
            window = (entry.get("notes") or {}).get("covered_window") or {}
            _out(f"  {source}.{name} {manifest['date']}: {entry['status']}"
                 + (f", covers {window.get('from')} .. {window.get('to')}" if window else "")
                 + (f" ({entry['error']})" if entry.get("error") else ""))
            if entry["status"] == "failed":
                failed.append(f"{source}.{name}")
    if failed:
        _err(f"poll failed for {', '.join(failed)}")
        return EXIT_FAILED
    return EXIT_OK


def _model_check_publish(day: dt.date, no_gate: bool) -> None:
    """The run's steps after load, as the DAG runs them (dwh.pipeline.steps_after_load), one line each."""
    from dwh import pipeline

    done: dict[str, Any] = {}
    for name, step in pipeline.steps_after_load(day):
        if name == "brief":
            _gate(day, no_gate)
        done[name] = _step(name.replace("_", " "), step)
    _out(f"snapshot: {done['publish']}")
    _out(f"brief   : {done['brief']}")


def _gate(day: dt.date, no_gate: bool) -> None:
    """`dwh run` is stricter than the DAG: a failed error-severity check (GX on raw or figures, or a dbt
    test that withholds its mart) stops it before the brief and publish. `--no-check-gate` goes on like
    the DAG: the checks stay recorded and publish withholds only what they guard."""
    from dwh import pipeline

    held = pipeline.withheld(day)
    if not held:
        return
    listed = "; ".join(f"{table}: {why}" for table, why in sorted(held.items()))
    if not no_gate:
        raise StepFailed(f"checks failed for {day}, nothing published (--no-check-gate publishes the rest and "
                         f"withholds these): {listed}")
    _out(f"  warning: withheld at publish (--no-check-gate): {listed}")


# ---------------------------------------------------------------- backfill

class _Terminated(BaseException):
    """SIGTERM, handled like Ctrl-C (BaseException so no step's `except Exception` swallows it)."""


def _raise_terminated(signum, frame):  # noqa: ARG001
    raise _Terminated()


def cmd_backfill(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from dwh import backfill

    start, end = _date(args.start), _date(args.end)
    if end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    sources = _sources(args.source)
    days = backfill.days_between(start, end)
    # set only by a harness that steers a simulated market's clock (through main); a deployment leaves it
    # None: the venues' own clocks are the wall clock
    before_ingest = getattr(args, "before_ingest", None)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    console = Console(stderr=False, highlight=False)
    done = skipped = 0
    failures: dict[str, dict[str, list[str]]] = {}
    _out(f"dwh backfill {start} .. {end} ({len(days)} days): {', '.join(sources)}"
         + (" (--force: finished days are redone)" if args.force else ""))
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=False) as progress:
            task = progress.add_task("backfill", total=len(days))
            for i, day in enumerate(days, 1):
                progress.update(task, description=f"{day}")
                try:
                    result = backfill.run_day(day, sources, force=args.force, before_ingest=before_ingest)
                except Exception as exc:
                    raise StepFailed(f"{day}: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}") \
                        from exc
                if result.skipped:
                    skipped += 1
                    progress.console.print(f"[{i}/{len(days)}] {day} skipped (already done)")
                else:
                    done += 1
                    if result.failed:
                        failures[day.isoformat()] = result.failed
                    progress.console.print(
                        f"[{i}/{len(days)}] {day} done: {len(result.ingested)} sources ingested and loaded "
                        f"in {result.seconds:.1f} s"
                        + (f" (failed, retried next call: {', '.join(sorted(result.failed))})" if result.failed
                           else ""))
                progress.advance(task)
        _out(f"{done} days loaded, {skipped} skipped" + ("" if args.no_build else "; building marts once for the range"))
        if args.no_build:
            _out("--no-build: skipping dbt build, validation and publish")
        else:
            _model_check_publish(end, args.no_check_gate)
    except (KeyboardInterrupt, _Terminated):
        print(f"\ninterrupted: {done} days finished in this call are recorded under {backfill.state_dir()}; "
              "run the same command again to resume", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    if failures:
        _err(f"some sources failed and were not marked done: {json.dumps(failures)}")
        return EXIT_FAILED
    return EXIT_OK


# ---------------------------------------------------------------- status

def _print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False)
    for c in columns:
        table.add_column(str(c), overflow="fold")
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    Console(highlight=False, soft_wrap=False).print(table)


def cmd_status(args: argparse.Namespace) -> int:  # noqa: ARG001
    from dwh.status import collect
    from ingest.config import warehouse_path

    try:
        status = collect(warehouse_path(), _snapshot_path())
    except FileNotFoundError as exc:
        raise UsageError(str(exc).strip("'\"")) from None
    _out(f"status from the {status.origin}")
    for note in status.notes:
        _out(f"note: {note}")
    for section in status.sections:
        _out("")
        if section.rows:
            _print_table(section.title, section.columns, section.rows)
        else:
            _out(section.title)
            _out("  (none)")
        if section.note:
            _out(f"  {section.note}")
    return EXIT_OK


# ---------------------------------------------------------------- sql

def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)  # Decimal, UUID, intervals: their exact text, not a lossy float


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from ingest.warehouse import connect as open_warehouse

    path = _snapshot_path()
    if not path.exists():
        raise UsageError(f"no published snapshot at {path}: run the pipeline first (dwh run / make demo)")
    query = args.query if args.query != "-" else sys.stdin.read()
    try:
        with open_warehouse(path, read_only=True) as con:
            res = con.execute(query)
            if res.description is None:
                _out("(no result set)")
                return EXIT_OK
            columns = [d[0] for d in res.description]
            rows = res.fetchall()
    except duckdb.Error as exc:
        _err(str(exc).strip().splitlines()[0])
        return EXIT_FAILED
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
                           for v in r] for r in rows])
    elif args.format == "json":
        json.dump([{c: _jsonable(v) for c, v in zip(columns, r)} for r in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_table(None, columns, rows)
        _out(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    sys.stdout.flush()
    return EXIT_OK


# ---------------------------------------------------------------- brief, docs

def cmd_brief(args: argparse.Namespace) -> int:
    from dwh import pipeline

    day = _date(args.date)
    try:
        path = pipeline.brief(day)
    except FileNotFoundError as exc:
        raise UsageError(f"cannot write the brief: {exc}") from None
    if path is None:
        _err("no brief module yet (dwh.brief is not installed); nothing written")
        return EXIT_FAILED
    _out(str(path))
    return EXIT_OK


def docs_dir() -> Path:
    from ingest.config import data_dir

    return data_dir() / "dbt-docs"


def generate_docs() -> Path:
    """`dbt docs generate` (catalog + lineage) into the data dir, so it never overwrites the manifest
    `make manifest` keeps for every data dir's first parse."""
    from dwh.dbt import run_dbt

    target = docs_dir()
    target.mkdir(parents=True, exist_ok=True)
    run_dbt(["docs", "generate", "--target-path", str(target)])
    return target


def cmd_docs(args: argparse.Namespace) -> int:
    from ingest.config import warehouse_path

    if not warehouse_path().exists():
        raise UsageError(f"no warehouse at {warehouse_path()}: the catalog is read from it; run the pipeline first")
    try:
        target = _step("dbt docs generate", generate_docs)
    except StepFailed as exc:
        _err(str(exc).splitlines()[0])
        return EXIT_FAILED
    _out(f"docs: {target / 'index.html'}")
    if args.no_serve:
        return EXIT_OK
    return serve_static(target, args.host, args.port)


def serve_static(directory: Path, host: str, port: int) -> int:
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    _out(f"serving {directory} on http://{host}:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


# ---------------------------------------------------------------- wiring

def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dwh", description="Crypto-derivatives market-structure warehouse.")
    p.add_argument("-v", "--verbose", action="store_true", help="log the steps' details (dbt output, HTTP)")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="the daily pipeline for one date")
    r.add_argument("--date", required=True, help="UTC day, YYYY-MM-DD")
    r.add_argument("--source", action="append", help="limit to these sources (repeat or comma-separate)")
    r.add_argument("--airflow", action="store_true", help="run the DAG through Airflow (airflow dags test)")
    r.add_argument("--no-check-gate", action="store_true",
                   help="publish even if error-severity checks fail (they are still recorded)")
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("backfill", help="ingest+load a range of days (resumable), then build and publish once")
    b.add_argument("--start", required=True, help="first UTC day, YYYY-MM-DD")
    b.add_argument("--end", required=True, help="last UTC day (inclusive), YYYY-MM-DD")
    b.add_argument("--source", action="append", help="limit to these sources (repeat or comma-separate)")
    b.add_argument("--force", action="store_true", help="redo days already recorded as done")
    b.add_argument("--no-build", action="store_true", help="only ingest and load; no dbt build, checks or publish")
    b.add_argument("--no-check-gate", action="store_true",
                   help="publish even if error-severity checks fail (they are still recorded)")
    b.set_defaults(func=cmd_backfill)

    pl = sub.add_parser("poll", help="land the retention-limited REST datasets (liquidations) of the day in "
                                     "progress; run hourly so nothing ages out before the daily run")
    pl.add_argument("--date", help="UTC day to poll (default: today, UTC)")
    pl.add_argument("--source", action="append", help="limit to these sources (repeat or comma-separate)")
    pl.set_defaults(func=cmd_poll)

    s = sub.add_parser("status", help="last runs, freshness, failing checks, unverified figures")
    s.set_defaults(func=cmd_status)

    q = sub.add_parser("sql", help="query the published snapshot (read-only)")
    q.add_argument("query", help="SQL text, or - to read it from stdin")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    q.set_defaults(func=cmd_sql)

    br = sub.add_parser("brief", help="write the daily brief for one date")
    br.add_argument("--date", required=True)
    br.set_defaults(func=cmd_brief)

    d = sub.add_parser("docs", help="dbt docs generate, then serve them")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8081, help="default 8081 (8080 is the Airflow UI's)")
    d.add_argument("--no-serve", action="store_true", help="only generate")
    d.set_defaults(func=cmd_docs)
    return p


def main(argv: list[str] | None = None, *, before_ingest: Callable[[dt.date], None] | None = None) -> int:
    """`before_ingest(day)` runs before each backfilled day's ingest: a harness's hook, no user option."""
    args = build_parser().parse_args(argv)
    args.before_ingest = before_ingest
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except UsageError as exc:
        for line in str(exc).splitlines() or [""]:  # a config error: one line per mistake
            _err(line)
        return EXIT_USAGE
    except StepFailed as exc:
        _err(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
