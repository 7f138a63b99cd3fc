"""crypto_market_daily: one UTC day of exchange data, landed, loaded, checked, modelled, published.

For logical date D (the data interval starts D 00:30 UTC and the run starts at D+1 00:30) the DAG runs
the steps of `dwh run` (dwh.pipeline), one task each:

    ingest_venues | ingest_aggregators | ingest_onchain (the enabled sources of each kind) -> load_raw
        -> source_freshness -> validate (GX on raw)
        -> dbt_build (one `dbt build` of the whole project: staging, intermediate, the marts with their
           tests, the figures layer) -> validate_figures (GX on figures.headline_figures) -> brief -> publish

One ingest task per kind of source, its sources fetched side by side in threads (each talks to its own
host, under that host's rate limit): an Airflow task is a process that imports Airflow and parses this
file (1-3 s of CPU on this 2-core machine) for 0.1-0.6 s of HTTP per source, so fourteen per-source tasks
cost more than the fetching, and `airflow dags test` (`make run`) would run them one after another.
One failing source does not stop the others: its kind's task fails once the rest of the kind has landed,
naming the source and cause, and load_raw runs when all ingests are done, whatever their state. The
per-source record is raw.ingest_runs (`dwh status`); `dwh run --date D --source S` re-fetches one source.
A failed check does not stop the run either: publish withholds the mart it guards and the figures
built on it read 'unverified'. Every step that writes the warehouse runs in the `duckdb_writer` pool of
one slot.

Why dbt is one plain task and not cosmos: the whole project is one `dbt build`, so cosmos would render
it as one task too (its per-model ExecutionMode.LOCAL tasks cost one dbt start-up, 4-8 s, per model,
and ExecutionMode.WATCHER's deferred sensors deadlock under `airflow dags test`). Measured on one sandbox
day's warehouse, `airflow dags test` of a one-task DAG, 4 alternated pairs on this 2-core machine
(2026-12-05): cosmos's DbtBuildLocalOperator (vars templated with {{ ds }} and {{ data_interval_end }})
took 54.7, 33.0, 131.8, 57.0 s (median 55.9), a task calling dwh.pipeline.dbt_build 42.6, 43.8, 126.9,
35.3 s (median 43.2): the plain task was faster in 3 of 4. Cosmos sets up a temporary copy of the
project for each run and starts dbt inside the task's own process, where dwh.dbt reuses the data dir's
target and starts dbt as a subprocess, so no DuckDB handle outlives the build. And the plain task passes
dbt the same vars and target as `dwh run`, from one place (dwh/dbt.py), not a second copy templated here.
"""
from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

WRITER_POOL = "duckdb_writer"
SNAPSHOT = Asset("dwh://snapshot/marts")


# Task ids by source kind (ingest.venues registry: VENUES, AGGREGATORS, ONCHAIN).
INGEST_TASKS = {"venue": "ingest_venues", "aggregator": "ingest_aggregators", "onchain": "ingest_onchain"}


def _enabled_sources() -> dict[str, list[str]]:
    # Parse-time: the sources file (DWH_SOURCES) read and validated against its schema, no network, no
    # database. A malformed file, or one with nothing enabled, is an import error naming the file, source
    # and key, not a DAG that ingests nothing and publishes the same warehouse again under D.
    from dwh.pipeline import sources_by_kind

    return sources_by_kind()


def _ingest_task(kind: str, sources: list[str]):
    @task(task_id=INGEST_TASKS[kind], retries=0, doc_md=f"Ingests {', '.join(sources)} for D, in parallel.")
    def ingest(ds: str | None = None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from dwh.pipeline import failed_sources, ingest_parallel, parse_day

        manifests = ingest_parallel(sources, parse_day(ds))
        # the run manifests themselves are in the landing zone and raw.ingest_runs; XCom carries the verdicts
        verdicts = {m["source"]: {name: entry["status"] for name, entry in m["datasets"].items()} for m in manifests}
        failed = failed_sources(manifests)
        if failed:
            # Raised only after every source of the kind has landed what it could: the failure is visible
            # on the task, and load_raw (all_done) still loads the rest. The client already retried the
            # transient faults; an Airflow retry would only repeat them.
            causes = "; ".join(f"{m['source']}.{name}: {str(entry.get('error') or '').splitlines()[0][:300]}"
                               for m in manifests for name, entry in m["datasets"].items()
                               if entry.get("status") == "failed")
            raise AirflowFailException(f"ingest failed for {', '.join(sorted(failed))} ({causes}); "
                                       f"verdicts: {verdicts}")
        return verdicts

    return ingest()


def _checked(summary) -> dict:
    """What a validation task hands on (XCom): counts, and the tables an error-severity failure withholds."""
    return {"counts": summary.counts(), "withheld": summary.failed_tables, "unverified": summary.warned_tables}


@dag(
    dag_id="crypto_market_daily",
    schedule=CronDataIntervalTimetable("30 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # No Airflow retries by default: the HTTP client already retries transient faults, and a dbt or
    # validation failure is deterministic. Loading and publishing retry once (a lock held by a reader
    # of the live file is the one transient failure they meet).
    default_args={"retries": 0},
    tags=["crypto", "daily"],
    doc_md=__doc__,
)
def crypto_market_daily():
    ingests = [_ingest_task(kind, names) for kind, names in _enabled_sources().items()]

    @task(pool=WRITER_POOL, trigger_rule="all_done", retries=1, retry_delay=dt.timedelta(seconds=30))
    def load_raw(ds: str | None = None) -> dict:
        from dwh.pipeline import load

        # per-dataset counts are in raw.load_log; XCom carries the day's totals
        loaded = [stats for stats in load(ds).values() if isinstance(stats, dict)]
        return {key: sum(v for stats in loaded if isinstance(v := stats.get(key), int))
                for key in ("files", "records", "loaded", "quarantined")}

    @task(pool=WRITER_POOL)
    def source_freshness(ds: str | None = None, data_interval_end=None) -> dict:
        from dwh.pipeline import source_freshness as check

        # ages against the run's reference instant, so a backfill labels D as the run on D+1 did;
        # stale sources warn: their figures turn 'unverified', the run goes on
        return check(ds, data_interval_end)

    @task(pool=WRITER_POOL)
    def validate(ds: str | None = None) -> dict:
        from dwh.pipeline import validate as run_validation

        # GX on the raw tables as loaded; a failure is recorded in audit, where the build reads it
        return _checked(run_validation(ds, fail_on_error=False))

    @task(pool=WRITER_POOL)
    def dbt_build(ds: str | None = None, data_interval_end=None) -> None:
        from dwh.pipeline import dbt_build as build

        # D and its reference instant: ages are judged against the data interval end, never the wall clock
        build(ds, reference_at=data_interval_end)

    @task(pool=WRITER_POOL)
    def validate_figures(ds: str | None = None) -> dict:
        from dwh.pipeline import validate_figures as run_validation

        return _checked(run_validation(ds, fail_on_error=False))

    @task(pool=WRITER_POOL)
    def brief(ds: str | None = None) -> str:
        from dwh.pipeline import brief as write

        return str(write(ds))

    @task(pool=WRITER_POOL, outlets=[SNAPSHOT], retries=1, retry_delay=dt.timedelta(seconds=30))
    def publish(ds: str | None = None) -> str:
        import logging

        from dwh.pipeline import publish as run_publish
        from dwh.pipeline import withheld

        held = withheld(ds)
        if held:
            logging.getLogger(__name__).error("error-severity checks failed for %s; withheld from publishing: %s",
                                              ds, ", ".join(sorted(held)))
        return str(run_publish(ds))

    ingests >> load_raw() >> source_freshness() >> validate() >> dbt_build() >> validate_figures() \
        >> brief() >> publish()


crypto_market_daily()
