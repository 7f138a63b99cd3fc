"""`make bench` / `python -m bench.run`: a year of synthetic history through landing, load and dbt.

Everything lives under `$DWH_DATA_DIR/bench/` (its own landing zone and warehouse); the report goes to
`$DWH_DATA_DIR/reports/bench.json` and is printed as a table. Steps:
  1. template day: the real fetchers land one sandbox day of every venue dataset;
  2. history: `days + 1` synthetic days written as landed files (bench/synth.py, bench/writer.py);
  3. (c) load: every day through ingest.load.load_day on its own connection, as the pipeline loads it
     (the checkpoint at its close included), against DuckDB's read_json of the same files;
  4. (a) daily run (load D + dbt build) with 30 days of history, then with the full year;
  5. (b) dbt build of the marts from scratch, and bench/marts.sql, the same marts by hand;
  6. (e) HTTP client rate against the sandbox's limit;  (d) peak RSS of every step's process tree.
Each figure is printed beside its goal (bench/goals.py) and the README's table is made from the report
(`python -m bench.readme`). Every DuckDB here, the bench's own and dbt's, is bounded by DWH_MEMORY_LIMIT
(ingest/warehouse.py); a step whose process tree goes above --rss-limit-mb fails the run (exit 1).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import psutil

from bench import goals, http_rate
from bench.measure import Peak
from bench.synth import TEMPLATE_DAY, Scale, options_listed, write_day
from dwh.dbt import DBT_DIR, dbt_executable, with_project_vars
from ingest import warehouse
from ingest.config import data_dir, load_sources
from ingest.load import landed_files, load_day
from ingest.venues import MODULES, datasets_for
from ingest.warehouse import connect as warehouse_connect

BENCH = Path(__file__).resolve().parent
MODELS_ONLY = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
HAND_WRITTEN = ["funding_rates", "funding_daily", "fct_liquidations"]  # what bench/marts.sql builds
ENVELOPE = ("{source: 'VARCHAR', dataset: 'VARCHAR', date: 'DATE', run_id: 'VARCHAR', method: 'VARCHAR', "
            "url: 'VARCHAR', params: 'JSON', request_body: 'JSON', fetched_at: 'TIMESTAMPTZ', elapsed_s: 'DOUBLE', "
            "attempt: 'INTEGER', status: 'INTEGER', sha256: 'VARCHAR', body_encoding: 'VARCHAR', body: 'VARCHAR'}")


def venue_sources(sources_file: Path) -> list[str]:
    return sorted(n for n, s in load_sources(sources_file).items() if s.kind == "venue" and n in MODULES)


# --- 1. the template day -----------------------------------------------------------------------------
def capture_templates(root: Path) -> tuple[Path, Path]:
    """One sandbox day of every venue dataset, landed by the real fetchers (kept for later runs)."""
    from ingest.run import ingest_source
    from sandbox.harness.process import running_sandbox, sandbox_sources_file

    sources_file = root / "sources.yml"
    if (root / "landing").exists() and sources_file.exists():
        return root, sources_file
    with running_sandbox(extra_args=["--rate-limit-scale", "0"]) as sb:
        sandbox_sources_file(sb.url, sources_file)
        sb.set_clock(dt.datetime.combine(TEMPLATE_DAY + dt.timedelta(days=1), dt.time(0, 30), tzinfo=dt.UTC))
        for source in venue_sources(sources_file):
            ingest_source(source, TEMPLATE_DAY, root=root, sources_file=sources_file, raise_on_failure=False)
    return root, sources_file


# --- 2. history ---------------------------------------------------------------------------------------
def _write(args: tuple) -> dict[str, int]:
    return write_day(*args)


def generate(templates: Path, root: Path, days: list[dt.date], sources: list[str], scale: Scale,
             workers: int) -> dict[str, Any]:
    listed = options_listed(templates, sources)
    jobs = [(templates, root, d, i, sources, scale, listed) for i, d in enumerate(days)]
    totals = {"files": 0, "bytes": 0}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for stats in pool.map(_write, jobs, chunksize=1):
            totals["files"] += stats["files"]
            totals["bytes"] += stats["bytes"]
    return {**totals, "options_listed_on_the_template_day": listed}


# --- 3. load, and DuckDB's own read_json --------------------------------------------------------------
def all_datasets() -> dict[str, list]:
    return {name: datasets_for(name) for name in MODULES}


def day_files(root: Path, day: dt.date) -> list[Path]:
    return [p for s, dss in all_datasets().items() for ds in dss for p in landed_files(root, s, ds.name, day)]


def read_json_seconds(files: list[Path], database: str = ":memory:") -> float:
    """DuckDB reading the same landed files itself: the yardstick for the loader's parse-and-load (P3).

    `database` a file path: the same read stored in a new database file, its close (the checkpoint)
    included; reported beside P3 to tell the loader's own work from what storing a day costs DuckDB."""
    listing = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"
    in_memory = database == ":memory:"
    opened = time.perf_counter()
    con = warehouse_connect(database)
    started = time.perf_counter() if in_memory else opened  # into a file: its opening and closing count too
    try:
        # the envelope's columns as the Lander writes them; the body parsed as JSON too, so DuckDB reads
        # everything the loader reads (what it does not do: find, check and type the records)
        con.execute(f"""CREATE TABLE t AS SELECT * EXCLUDE (body), body::JSON AS body FROM read_json({listing},
            format = 'newline_delimited', columns = {ENVELOPE})""")
        read = time.perf_counter()
    finally:
        con.close()
    return (read if in_memory else time.perf_counter()) - started


def load_days(warehouse: Path, root: Path, days: list[dt.date], sample_every: int, log: list[dict[str, Any]]) -> None:
    """Every day loaded as the pipeline loads it (dwh.pipeline.load): its own connection, closed after the
    day, so the time includes the checkpoint the close makes (the day's WAL written into the file)."""
    for i, day in enumerate(days):
        started = time.perf_counter()
        with warehouse_connect(warehouse) as con:
            stats = load_day(con, root, day, all_datasets())
        seconds = time.perf_counter() - started
        entry = {"day": day.isoformat(), "load_s": round(seconds, 3),
                 "records": sum(v.get("records", 0) for v in stats.values()),
                 "files": sum(v.get("files", 0) for v in stats.values())}
        if sample_every and i % sample_every == 0:
            files = day_files(root, day)
            entry["read_json_s"] = round(read_json_seconds(files), 3)
            scratch = warehouse.with_name("read_json_scratch.duckdb")
            scratch.unlink(missing_ok=True)
            entry["read_json_stored_s"] = round(read_json_seconds(files, str(scratch)), 3)
            scratch.unlink(missing_ok=True)
        log.append(entry)
        if i % 30 == 0:
            print(f"  loaded {day} ({i + 1}/{len(days)}): {entry}", flush=True)


# --- 4./5. dbt and the hand-written script ------------------------------------------------------------
def bench_vars(args: list[str], sources_file: Path) -> list[str]:
    """The vars the pipeline gives dbt (dwh.dbt.with_project_vars), taken from the bench's sources file."""
    before = os.environ.get("DWH_SOURCES")
    os.environ["DWH_SOURCES"] = str(sources_file)
    try:
        return with_project_vars(args)
    finally:
        if before is None:
            os.environ.pop("DWH_SOURCES")
        else:
            os.environ["DWH_SOURCES"] = before


def dbt(root: Path, sources_file: Path, day: dt.date, *extra: str) -> dict[str, float]:
    """Wall time of a dbt build and the time its models took (run_results.json): the difference is
    dbt's start-up (parse, connect, compile), a constant that does not grow with the data."""
    env = dict(os.environ, DWH_DATA_DIR=str(root), DWH_SOURCES=str(sources_file), DBT_PROFILES_DIR=str(DBT_DIR),
               DBT_TARGET_PATH=str(root / "dbt-target"), DBT_LOG_PATH=str(root / "dbt-logs"))
    args = ["build", *MODELS_ONLY, *extra, "--vars", json.dumps({"run_date": day.isoformat()})]
    cmd = [dbt_executable(), *bench_vars(args, sources_file), "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=DBT_DIR, env=env, text=True, capture_output=True)  # argument list, no shell  # nosec B603
    if proc.returncode != 0:
        raise RuntimeError(f"dbt failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    wall = time.perf_counter() - started
    nodes = json.loads((root / "dbt-target" / "run_results.json").read_text())["results"]
    return {"dbt_s": round(wall, 3), "dbt_node_s": round(sum(n["execution_time"] for n in nodes), 3),
            "dbt_nodes_s": {n["unique_id"].split(".")[-1]: round(n["execution_time"], 3) for n in nodes}}


def hand_written(db: Path) -> tuple[float, dict[str, int]]:
    sql = (BENCH / "marts.sql").read_text()
    with warehouse_connect(db) as con:
        started = time.perf_counter()
        con.execute(sql)
        seconds = time.perf_counter() - started
        diff = {t: con.execute(f"SELECT (SELECT count(*) FROM (SELECT * FROM marts.{t} EXCEPT ALL SELECT * FROM bench_sql.{t}))"
                               f" + (SELECT count(*) FROM (SELECT * FROM bench_sql.{t} EXCEPT ALL SELECT * FROM marts.{t}))"
                               ).fetchone()[0] for t in HAND_WRITTEN}
        con.execute("DROP SCHEMA bench_sql CASCADE")
    return seconds, diff


def table_sizes(db: Path) -> dict[str, int]:
    with warehouse_connect(db, read_only=True) as con:
        names = con.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables "
                            "WHERE table_schema IN ('raw', 'marts') AND table_type = 'BASE TABLE'").fetchall()
        return {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for (n,) in names}


# --- the run ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run")
    p.add_argument("--days", type=int, default=365, help="days of history (one more is the timed daily run)")
    p.add_argument("--liquidations", type=int, default=20_000_000)
    p.add_argument("--strikes", type=int, default=3_000, help="option instruments per option venue and day")
    p.add_argument("--siblings", type=int, default=24, help="synthetic symbols per real asset (24: 50 a venue)")
    p.add_argument("--small-history", type=int, default=None,
                   help="days of history of the first daily run (default 30, at most a third of --days)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--http-requests", type=int, default=400)
    p.add_argument("--read-json-every", type=int, default=10, help="compare with read_json on every Nth day")
    p.add_argument("--keep", action="store_true", help="reuse the landed history of an earlier run")
    p.add_argument("--rss-limit-mb", type=float, default=2048, help="peak RSS any step may reach (P6)")
    args = p.parse_args(argv)
    if args.small_history is None:
        args.small_history = max(1, min(30, args.days // 3))
    if not 1 <= args.small_history < args.days:
        p.error(f"--small-history {args.small_history} must be at least 1 and below --days {args.days}")
    scale = Scale(days=args.days, liquidations=args.liquidations, strikes_target=args.strikes, siblings=args.siblings)
    out = data_dir() / "bench"
    root = out / "history"
    started_at = dt.datetime.now(dt.UTC)
    report: dict[str, Any] = {"started_at": started_at.isoformat(), "date": started_at.date().isoformat(),
                              "args": vars(args), "machine": machine(), "steps": {}}
    steps = report["steps"]
    print(f"bench: {args.days} days into {out}", flush=True)

    with Peak("templates", steps):
        templates, sources_file = capture_templates(out / "templates")
    sources = venue_sources(sources_file)
    first = TEMPLATE_DAY - dt.timedelta(days=args.days - 1)
    days = [first + dt.timedelta(days=i) for i in range(args.days + 1)]  # the last one: the timed daily run
    if not (args.keep and root.exists()):
        if root.exists():
            import shutil

            shutil.rmtree(root)
        print(f"  generating {len(days)} days ...", flush=True)
        with Peak("generate", steps):
            report["history"] = generate(templates, root, days, sources, scale, args.workers)
    warehouse = root / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)

    small, rest, last = days[:args.small_history], days[args.small_history:-1], days[-1]
    daily_small_day = rest[0]
    loads: list[dict[str, Any]] = []
    with Peak("load_small_history", steps):
        load_days(warehouse, root, small, args.read_json_every, loads)
    with Peak("dbt_build_small_history", steps) as pk:
        pk.extra = dbt(root, sources_file, small[-1])
    # (a) the daily run at 30 days of history
    with Peak("daily_run_at_small_history", steps) as pk:
        load_days(warehouse, root, [daily_small_day], 0, loads)
        pk.extra = dbt(root, sources_file, daily_small_day)
    with Peak("load_rest_of_history", steps):
        load_days(warehouse, root, rest[1:], args.read_json_every, loads)
    with Peak("dbt_build_catch_up", steps) as pk:
        pk.extra = dbt(root, sources_file, rest[-1])
    # (a) the daily run at a year of history
    with Peak("daily_run_at_full_history", steps) as pk:
        load_days(warehouse, root, [last], 0, loads)
        pk.extra = dbt(root, sources_file, last)
    # (b) the marts from scratch: dbt, then the same transformations by hand
    with Peak("dbt_full_refresh", steps) as pk:
        pk.extra = dbt(root, sources_file, last, "--full-refresh")
    with Peak("dbt_full_refresh_hand_written_marts", steps) as pk:
        pk.extra = dbt(root, sources_file, last, "--full-refresh", "--select", *[f"+{m}" for m in HAND_WRITTEN])
    with Peak("hand_written_sql", steps):
        sql_seconds, diff = hand_written(warehouse)
    steps["hand_written_sql"]["differences_from_dbt"] = diff
    # (e)
    with Peak("http_client_rate", steps):
        report["http"] = http_rate.measure(out / "http", args.http_requests)

    report["tables"] = table_sizes(warehouse)
    report["loads"] = loads
    report["results"] = results(report, len(small), len(days) - 1)
    report["goals"] = goals.evaluate(report["results"], int(args.rss_limit_mb * 2**20),
                                     goals.dag_ratio(data_dir() / "reports" / "dag_ratio.json"))
    report["machine"]["load_at_end"] = load_average()
    report["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    path = data_dir() / "reports" / "bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))
    print(table(report))
    print()
    print(goals.console(report["goals"]))
    print(f"report: {path}  (README table: python -m bench.readme)")
    if not report["goals"]["P6"]["met"]:
        print(f"FAILED: peak RSS above {args.rss_limit_mb:.0f} MB in {report['goals']['P6']['steps_over_limit']}")
        return 1
    return 0


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform(), "load_at_start": load_average(),
            "memory_limit": warehouse.memory_limit(), "threads": warehouse.threads()}


def results(report: dict[str, Any], small: int, full: int) -> dict[str, Any]:
    s, loads = report["steps"], report["loads"]
    sampled = [x for x in loads if "read_json_s" in x]
    records = sum(x["records"] for x in loads)
    load_s = sum(x["load_s"] for x in loads)
    load_rate = records / max(load_s, 1e-9)
    read_json_rate = sum(x["records"] for x in sampled) / max(sum(x["read_json_s"] for x in sampled), 1e-9)
    stored = [x for x in sampled if "read_json_stored_s" in x]
    stored_rate = sum(x["records"] for x in stored) / max(sum(x["read_json_stored_s"] for x in stored), 1e-9)
    liq = sum(v for k, v in report.get("tables", {}).items() if k in ("raw.okx__liquidations",))
    trades = report.get("tables", {}).get("raw.deribit__future_trades", 0)
    http = report.get("http", {}).get("runs", [])
    return {
        "a_daily_run_s": {f"{small}_days": s["daily_run_at_small_history"]["seconds"],
                          f"{full}_days": s["daily_run_at_full_history"]["seconds"]},
        "a_ratio_full_over_small": round(s["daily_run_at_full_history"]["seconds"]
                                         / s["daily_run_at_small_history"]["seconds"], 2),
        "a_models_growing_most_s": growth(s["daily_run_at_small_history"].get("dbt_nodes_s", {}),
                                          s["daily_run_at_full_history"].get("dbt_nodes_s", {})),
        "b_dbt_marts_s": s["dbt_full_refresh_hand_written_marts"]["seconds"],
        "b_dbt_all_models_s": s["dbt_full_refresh"]["seconds"],
        "b_hand_written_sql_s": s["hand_written_sql"]["seconds"],
        "b_ratio_dbt_over_sql": round(s["dbt_full_refresh_hand_written_marts"]["seconds"]
                                      / max(s["hand_written_sql"]["seconds"], 1e-9), 2),
        "b_dbt_marts_node_s": s["dbt_full_refresh_hand_written_marts"]["dbt_node_s"],
        "b_ratio_dbt_transform_over_sql": round(s["dbt_full_refresh_hand_written_marts"]["dbt_node_s"]
                                                / max(s["hand_written_sql"]["seconds"], 1e-9), 2),
        "b_same_rows": not any(s["hand_written_sql"]["differences_from_dbt"].values()),
        # P3 as rates: the loader over every load of the run (each day's checkpoint included), against
        # read_json on the sampled days
        "c_load_records_per_s": round(load_rate),
        "c_read_json_records_per_s": round(read_json_rate) if sampled else None,
        "c_ratio_load_over_read_json": round(read_json_rate / max(load_rate, 1e-9), 2) if sampled else None,
        "c_ratio_load_rate_over_read_json": round(load_rate / max(read_json_rate, 1e-9), 2) if sampled else None,
        # beside P3, not instead of it: the same read written to a new database file and closed (checkpoint)
        "c_read_json_stored_records_per_s": round(stored_rate) if stored else None,
        "c_ratio_load_rate_over_read_json_stored": round(load_rate / max(stored_rate, 1e-9), 2) if stored else None,
        "d_peak_rss_mb": max(v.get("peak_rss_mb", 0) for v in s.values() if isinstance(v, dict)),
        "d_peak_rss_mb_by_step": {k: v.get("peak_rss_mb") for k, v in s.items() if isinstance(v, dict)},
        "e_http": [{k: r[k] for k in ("client_rate", "achieved_rps", "limit_rps", "achieved_over_limit",
                                      "throttled_429", "unhonoured_429", "ok", "requests")} for r in http],
        "scale": {"days": full, "records_loaded": records, "okx_liquidation_rows": liq,
                  "deribit_trade_rows": trades, "liquidation_events": liq + trades},
    }


def growth(small: dict[str, float], full: dict[str, float], top: int = 8) -> dict[str, list[float]]:
    """The models whose daily-run time grew most with history: [at small history, at full history]."""
    grown = sorted(full, key=lambda m: full[m] - small.get(m, 0.0), reverse=True)[:top]
    return {m: [small.get(m, 0.0), full[m]] for m in grown}


def table(report: dict[str, Any]) -> str:
    r = report["results"]
    a = r["a_daily_run_s"]
    lines = [
        "bench                                                  value",
        "------------------------------------------------------ ---------------------------",
        f"(a) daily run (load D + dbt build), history {list(a)[0]:>9s}  {list(a.values())[0]:>8.1f} s",
        f"    daily run, history {list(a)[1]:>9s}                         {list(a.values())[1]:>8.1f} s",
        f"    ratio full / small                                 {r['a_ratio_full_over_small']:>8.2f}",
        "    grew most: " + ", ".join(f"{m} {a:.1f}->{b:.1f} s" for m, (a, b) in
                                      list(r["a_models_growing_most_s"].items())[:4]),
        f"(b) dbt build, funding + liquidation marts             {r['b_dbt_marts_s']:>8.1f} s",
        f"    same marts, hand-written SQL (bench/marts.sql)     {r['b_hand_written_sql_s']:>8.1f} s"
        f"  (identical rows: {r['b_same_rows']})",
        f"    ratio dbt / SQL                                    {r['b_ratio_dbt_over_sql']:>8.2f}",
        f"    the same, dbt's models only ({r['b_dbt_marts_node_s']:.1f} s; start-up left out) {r['b_ratio_dbt_transform_over_sql']:>6.2f}",
        f"    dbt build, every model                             {r['b_dbt_all_models_s']:>8.1f} s",
        f"(c) load rate (a connection a day, checkpoint included) {r['c_load_records_per_s']:>8,d} records/s",
        f"    DuckDB read_json of the same files (sampled days)  {r.get('c_read_json_records_per_s') or 0:>8,d} records/s",
        f"    ratio load / DuckDB read_json of the same files    {r['c_ratio_load_over_read_json'] or 0:>8.2f}",
        f"    read_json stored in a new file, closed (sampled)   {r.get('c_read_json_stored_records_per_s') or 0:>8,d} records/s",
        f"(d) peak RSS (process tree)                            {r['d_peak_rss_mb']:>8.0f} MB",
    ]
    for h in r["e_http"]:
        lines.append(f"(e) client at {h['client_rate']:>5.0f} rps vs limit {h['limit_rps']:.0f}: achieved "
                     f"{h['achieved_rps']:.1f} rps ({h['achieved_over_limit']:.2f}), 429s {h['throttled_429']}, "
                     f"unhonoured {h['unhonoured_429']}, {h['ok']}/{h['requests']} ok")
    sc = r["scale"]
    lines.append(f"scale: {sc['days']} days, {sc['records_loaded']:,d} records loaded, "
                 f"{sc['liquidation_events']:,d} liquidation rows in raw")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
