"""liquidations_poll_hourly: read the retention-limited REST datasets while their day is still served.

OKX answers `GET /api/v5/public/liquidation-orders` for "the last day" only
(https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders), so the daily run at D+1 00:30
no longer finds the first half hour of D. Every hour this DAG lands the day in progress (`dwh.pipeline.poll`:
the datasets with a `retention` in their spec) exactly as the daily ingest does; each poll records the part
of D its pages provably held, and D's daily load reads every landed page of D. Nothing here writes the
warehouse, so it needs no slot of the `duckdb_writer` pool and never waits for the daily DAG.

The run for the interval [H, H+1) starts at H+1 and polls the day of H: the run at D+1 00:00 reads D to its
very end, and the poll of D+1 starts an hour later.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable


def _poll_sources() -> list[str]:
    # Parse-time, no network: the enabled sources that have a retention-limited dataset.
    from dwh.pipeline import retention_datasets
    from ingest.config import enabled_sources

    return [s.name for s in enabled_sources() if retention_datasets(s.name)]


def _poll_task(source: str):
    # One task per source: one venue down does not stop the others' polls. No Airflow retries: the HTTP
    # client already retried, and the next hour's poll covers what this one missed.
    @task(task_id=f"poll_{source}", retries=0)
    def poll(data_interval_start=None, logical_date=None) -> dict:
        from airflow.exceptions import AirflowFailException

        from dwh.pipeline import poll as run_poll

        start = data_interval_start or logical_date  # a manual run may come without an interval
        manifest = run_poll(start.date(), [source])[source]
        failed = {d: v["error"] for d, v in manifest["datasets"].items() if v["status"] == "failed"}
        if failed:
            raise AirflowFailException(f"{source} {manifest['date']}: {failed}")
        return {d: (v.get("notes") or {}).get("covered_window") for d, v in manifest["datasets"].items()}

    return poll()


@dag(
    dag_id="liquidations_poll_hourly",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,  # an hour that is past is past: what a late poll still finds, it records as covered
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=50),
    default_args={"retries": 0},
    tags=["crypto", "hourly", "liquidations"],
    doc_md=__doc__,
)
def liquidations_poll_hourly():
    for name in _poll_sources():
        _poll_task(name)


liquidations_poll_hourly()
