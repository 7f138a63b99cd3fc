"""The docker-compose topology without containers: CeleryExecutor, PostgreSQL metadata, Redis broker,
API server, scheduler, DAG processor and two Celery workers, all as local processes on loopback.

One run of crypto_market_daily against the exchange sandbox must succeed, be spread over both
workers, and never have two `duckdb_writer` tasks running at the same time.
"""
from __future__ import annotations

import datetime as dt
import time
import warnings

import pytest

from dwh.sandbox_proc import running_sandbox, sandbox_sources_file
from tests.ops.harness import (AIRFLOW, DAG_ID, WRITER_POOL, ProcessGroup, airflow_cli, airflow_env, free_port,
                               overlapping, port_open, postgres_server, redis_server, require_manifest, task_log_tails,
                               wait_for)

RUN_DATE = "2026-11-26"  # the sandbox scenario's squeeze day
RUN_ID = "celery_topology"
WORKERS = ("dwh-worker-a", "dwh-worker-b")
RUN_TIMEOUT = 25 * 60


def _query(dsn: str, sql: str, *params):
    import psycopg2

    con = psycopg2.connect(dsn, connect_timeout=5)
    try:
        with con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        con.close()


def test_overlap_detection():
    assert overlapping([("a", 0, 10), ("b", 1, 2), ("c", 3, 4)]) == [("a", "b"), ("a", "c")]
    assert overlapping([("a", 0, 1), ("b", 1, 2), ("c", 2, 3)]) == []


@pytest.mark.slow
def test_celery_topology_runs_the_daily_dag(tmp_path):
    require_manifest()
    group = ProcessGroup(tmp_path / "logs")
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        with postgres_server(group) as pg, redis_server(group, tmp_path / "redis") as broker, \
                running_sandbox() as sandbox:
            try:
                timings["services"] = time.monotonic() - t0
                dsn = f"postgresql://airflow@{pg}/airflow"
                api_port = free_port()
                sources = sandbox_sources_file(sandbox.url, tmp_path / "sources.yml")
                env = airflow_env(tmp_path / "airflow", tmp_path / "data", sources, {
                    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://airflow@{pg}/airflow",
                    "AIRFLOW__CELERY__BROKER_URL": f"redis://{broker}/0",
                    "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://airflow@{pg}/airflow",
                    "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
                    "AIRFLOW__API__PORT": str(api_port),
                    # Workers report task state and fetch connections through the API server, not the DB.
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
                })

                airflow_cli("db", "migrate", env=env)
                airflow_cli("pools", "set", WRITER_POOL, "1", "DuckDB allows one writing process at a time", env=env)
                timings["migrate"] = time.monotonic() - t0

                group.start("api-server", [AIRFLOW, "api-server", "--port", str(api_port), "--host", "127.0.0.1",
                                           "--apps", "execution"], env)
                group.start("scheduler", [AIRFLOW, "scheduler", "--skip-serve-logs"], env)
                group.start("dag-processor", [AIRFLOW, "dag-processor"], env)
                # cosmos' watcher-mode model tasks are deferrable sensors: without a triggerer they never finish.
                group.start("triggerer", [AIRFLOW, "triggerer", "--skip-serve-logs"], env)
                for name in WORKERS:
                    group.start(name, [AIRFLOW, "celery", "worker", "--concurrency", "2", "--celery-hostname",
                                       f"{name}@%h", "--skip-serve-logs", "--without-gossip"],
                                {**env, "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.ops.worker_hostname.hostname",
                                 "DWH_WORKER_HOSTNAME": name})

                wait_for(lambda: port_open(api_port), 120, "the API server", group)
                wait_for(lambda: _query(dsn, "select 1 from serialized_dag where dag_id = %s", DAG_ID), 180,
                         "the DAG to be parsed", group)
                timings["components"] = time.monotonic() - t0

                airflow_cli("dags", "trigger", DAG_ID, "--logical-date", f"{RUN_DATE}T00:30:00+00:00",
                            "--run-id", RUN_ID, env=env)

                def finished():
                    rows = _query(dsn, "select state from dag_run where dag_id = %s and run_id = %s", DAG_ID, RUN_ID)
                    return rows and rows[0][0] in ("success", "failed") and rows[0][0]

                state = wait_for(finished, RUN_TIMEOUT, "the DAG run", group, interval=3)
                timings["run"] = time.monotonic() - t0

                tis = _query(dsn, "select task_id, map_index, state, hostname, pool, start_date, end_date "
                                  "from task_instance where dag_id = %s and run_id = %s", DAG_ID, RUN_ID)
                # Earlier tries of retried tasks held the pool too.
                history = _query(dsn, "select task_id, map_index, try_number, pool, start_date, end_date "
                                      "from task_instance_history where dag_id = %s and run_id = %s", DAG_ID, RUN_ID)
                # Every check is evaluated before failing, so one slow run reports everything it shows.
                problems = []
                failed = sorted(t[0] for t in tis if t[2] != "success")
                if state != "success":
                    problems.append(f"run {state}; not successful: {failed}\n"
                                    f"{task_log_tails(tmp_path / 'airflow', RUN_ID, failed)}")
                elif failed:
                    # The DAG tolerates a failed venue (load_raw runs on all_done); this test is about the
                    # topology, so it reports them instead of failing on them.
                    warnings.warn(f"tasks not successful in a successful run: {failed}", stacklevel=1)

                hosts = {t[3] for t in tis if t[5]}
                if not set(WORKERS) <= hosts:
                    problems.append(f"tasks ran on {hosts}, expected both of {WORKERS}")

                # Rescheduled tries restart start_date, retried ones are in the history; a deferred task
                # would keep its start_date while it frees the slot, but no writer task here defers.
                writer = [(f"{t[0]}[{t[1]}]", t[5], t[6]) for t in tis if t[4] == WRITER_POOL and t[5]]
                writer += [(f"{h[0]}[{h[1]}]#{h[2]}", h[4], h[5]) for h in history if h[3] == WRITER_POOL and h[4]]
                if len(writer) < 3:  # load_raw, the dbt models, validate, publish...
                    problems.append(f"too few writer tasks ran to judge the pool: {writer}")
                if unfinished := [w[0] for w in writer if not w[2]]:
                    problems.append(f"writer tasks without an end: {unfinished}")
                if clashes := overlapping([w for w in writer if w[2]]):
                    problems.append(f"{WRITER_POOL} tasks overlapped: {clashes}")
                assert not problems, "\n".join(problems)
            finally:
                # Airflow first, while its database and broker are still up.
                group.stop_all()
    finally:
        group.stop_all()
        timings["total"] = time.monotonic() - t0
        print("celery topology timings (s since start):",
              {k: round(v, 1) for k, v in timings.items()}, "at", dt.datetime.now(dt.timezone.utc).isoformat())
