"""crypto_market_daily: one UTC day of exchange data, landed, loaded, modelled, checked, published.

For logical date D (the data interval starts D 00:30 UTC and the run starts at D+1 00:30) the DAG
ingests D from every enabled source (one task each, so one failing venue does not stop the
others), loads the landed files into DuckDB, runs the dbt models as Airflow tasks (cosmos, from
the pre-built manifest), validates with GX, writes the brief and publishes a read-only snapshot.
Every step that writes the warehouse runs in the `duckdb_writer` pool of one slot.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import Asset, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

PROJECT = Path(__file__).resolve().parent.parent
DBT_DIR = PROJECT / "dbt_project"
MANIFEST = DBT_DIR / "target" / "manifest.json"
WRITER_POOL = "duckdb_writer"
SNAPSHOT = Asset("dwh://snapshot/marts")
VERIFICATION = "tag:verification"  # dbt models built after `validate` (headline figures)
MARTS = "path:models/marts"


def _enabled_sources() -> list[str]:
    # Parse-time: the sources file (DWH_SOURCES) read and validated against its schema, no network, no
    # database. A malformed file, or one with nothing enabled, is an import error naming the file, source
    # and key, not a DAG that ingests nothing and publishes the same warehouse again under D.
    from dwh.pipeline import require_enabled_sources

    return require_enabled_sources()


def _dbt_models(group_id: str, select: list[str], exclude: list[str]):
    """The selected dbt models as Airflow tasks (cosmos, from the manifest); one `dbt build` task
    when there is no manifest."""
    if MANIFEST.exists():
        from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
        from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

        venv_dbt = Path(os.sys.executable).parent / "dbt"
        return DbtTaskGroup(
            group_id=group_id,
            project_config=ProjectConfig(manifest_path=MANIFEST, project_name="crypto_dwh",
                                         dbt_project_path=DBT_DIR),
            profile_config=ProfileConfig(profile_name="crypto_dwh", target_name="dev",
                                         profiles_yml_filepath=DBT_DIR / "profiles.yml"),
            # One dbt subprocess per task: an in-process dbt runner keeps its DuckDB handle open, and
            # `airflow dags test` runs every task in one process, where the validation task's
            # read-only connection would then clash with it. (ExecutionMode.WATCHER would need a
            # single build but its deferred sensors deadlock under `airflow dags test`.)
            execution_config=ExecutionConfig(execution_mode=ExecutionMode.LOCAL,
                                             invocation_mode=InvocationMode.SUBPROCESS,
                                             dbt_executable_path=str(venv_dbt)),
            render_config=RenderConfig(load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.BUILD,
                                       enable_mock_profile=False, select=select, exclude=exclude),
            # D and its reference instant: ages are judged against the data interval end, never the wall
            # clock (dbt's run_reference_at() falls back to D+1 00:30 when the interval does not describe D)
            operator_args={"pool": WRITER_POOL, "install_deps": False,
                           # no unit tests, as in dbt_views: they test the SQL on fixtures, CI's job
                           # (https://docs.getdbt.com/docs/build/unit-tests, "When to run unit tests")
                           "dbt_cmd_flags": ["--exclude-resource-type", "unit_test"],
                           "vars": {"run_date": "{{ ds }}", "run_reference_at": "{{ data_interval_end }}"}},
            default_args={"retries": 0},
        )
    return _dbt_build_task(f"{group_id}_build", select, exclude)


def _dbt_build_task(task_id: str, select: list[str] | None, exclude: list[str] | None, unit_tests: bool = False):
    @task(task_id=task_id, pool=WRITER_POOL)
    def dbt_build(ds: str | None = None, data_interval_end=None) -> None:
        from dwh.pipeline import dbt_build as build

        build(ds, select=" ".join(select or []) or None, exclude=" ".join(exclude or []) or None,
              reference_at=data_interval_end, unit_tests=unit_tests)

    return dbt_build()


def _ingest_task(source: str):
    @task(task_id=f"ingest_{source}", retries=0)
    def ingest(ds: str | None = None) -> dict:
        from airflow.exceptions import AirflowFailException

        from dwh.pipeline import ingest as run_ingest
        from ingest.run import IngestFailed

        try:
            return run_ingest(source, ds)
        except IngestFailed as exc:
            # The client already retried the transient faults; an Airflow retry would only repeat them.
            raise AirflowFailException(str(exc)) from exc

    return ingest()


@dag(
    dag_id="crypto_market_daily",
    schedule=CronDataIntervalTimetable("30 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 10, 1),
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
    ingests = [_ingest_task(name) for name in _enabled_sources()]

    @task(pool=WRITER_POOL, trigger_rule="all_done", retries=1, retry_delay=timedelta(seconds=30))
    def load_raw(ds: str | None = None) -> dict:
        from dwh.pipeline import load

        return load(ds)

    @task(pool=WRITER_POOL)
    def validate(ds: str | None = None) -> dict:
        import logging

        from dwh.pipeline import validate as run_validation

        # A failed check blocks publishing what it guards (publish withholds that mart, its figures turn
        # 'unverified'), not the whole run: one broken domain must not hold back the others' figures.
        summary = run_validation(ds, fail_on_error=False)
        failed = sorted({r.table for r in summary["results"] if r.bad and r.severity == "error"})
        if failed:
            logging.getLogger(__name__).error("error-severity checks failed for %s; withheld from publishing: %s",
                                              ds, ", ".join(failed))
        return {"failed_tables": failed, "checks": len(summary["results"])}

    @task(pool=WRITER_POOL)
    def source_freshness(ds: str | None = None, data_interval_end=None) -> dict:
        from dwh.pipeline import source_freshness as check

        # ages against the run's reference instant, so a backfill labels D as the run on D+1 did;
        # stale sources warn: their figures turn 'unverified', the run goes on
        return check(ds, data_interval_end)

    @task(pool=WRITER_POOL)
    def validate_figures(ds: str | None = None) -> None:
        from dwh.pipeline import validate_figures as run_validation

        run_validation(ds, fail_on_error=False)  # a failure withholds marts.headline_figures at publish  # GX on the published figures themselves (marts.headline_figures)

    @task(pool=WRITER_POOL)
    def brief(ds: str | None = None) -> str:
        from dwh.pipeline import brief as write

        return str(write(ds))

    @task(pool=WRITER_POOL, outlets=[SNAPSHOT], retries=1, retry_delay=timedelta(seconds=30))
    def publish(ds: str | None = None) -> str:
        from dwh.pipeline import publish as run_publish

        return str(run_publish(ds))

    loaded = load_raw()
    # Seeds, staging and intermediate views build in one dbt call (cheap views, one start-up);
    # the marts are the tasks an operator watches, one per model with its tests.
    # (without unit tests: they mock raw tables that a disabled source never created; CI runs them)
    views = _dbt_build_task("dbt_views", None, [MARTS, VERIFICATION])
    dbt = _dbt_models("dbt", [MARTS], [VERIFICATION])
    checked = validate()
    # headline figures are modelled after validation and freshness, whose results mark them 'unverified'
    verification = _dbt_models("dbt_verification", [VERIFICATION], [])
    ingests >> loaded >> source_freshness() >> views >> dbt >> checked >> verification >> validate_figures() \
        >> brief() >> publish()


crypto_market_daily()
