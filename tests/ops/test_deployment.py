"""The docker-compose topology without containers, signed into as a person does, with one DAG run.

PostgreSQL metadata, Redis broker and two Celery workers as local processes, the API server (UI), scheduler,
DAG processor and triggerer started by `make airflow-ui`'s own script (scripts/airflow_ui.sh) with the
CeleryExecutor. One run of crypto_market_daily against the exchange sandbox is read twice: from the metadata
DB (it succeeded, ran on both workers, never two `duckdb_writer` tasks at once) and through the UI in Debian's
headless Chromium (sign-in, the run, its dbt task groups, the DAG list). One Airflow set-up and one run serve
both, where each used to start its own; screenshots and every component's log stay in the module's tmp dir.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.harness.process import running_sandbox, sandbox_sources_file
from tests.ops.harness import (
    AIRFLOW,
    DAG_ID,
    ROOT,
    WRITER_POOL,
    ProcessGroup,
    airflow_env,
    free_port,
    overlapping,
    port_open,
    postgres_server,
    redis_server,
    require_manifest,
    task_log_tails,
    wait_for,
)

RUN_DATE = "2026-11-26"  # the sandbox scenario's squeeze day
RUN_ID = "ops_celery_run"
WORKERS = ("dwh-worker-a", "dwh-worker-b")
RUN_TIMEOUT = 25 * 60
USER = "dwh-admin"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Headless, and nothing that reaches beyond loopback (updates, sync, QUIC probes, first-run pages).
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1440,1000"]


class Api:
    def __init__(self, base: str, user: str, password: str):
        self.base, self.user, self.password = base, user, password
        self.token: str | None = None

    def _request(self, method: str, path: str, body: dict | None = None, auth: bool = True):
        headers = {"Content-Type": "application/json"}
        if auth:
            self.token = self.token or self._request("POST", "/auth/token",
                                                     {"username": self.user, "password": self.password},
                                                     auth=False)["access_token"]
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(req, timeout=30) as resp:  # nosec B310 - loopback test server
            return json.loads(resp.read() or b"null")

    def get(self, path: str):
        return self._request("GET", path)

    def post(self, path: str, body: dict):
        return self._request("POST", path, body)


def _query(dsn: str, sql: str, *params):
    import psycopg2

    con = psycopg2.connect(dsn, connect_timeout=5)
    try:
        with con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        con.close()


@dataclass
class Deployment:
    tmp: Path
    base: str
    api: Api
    dsn: str
    state: str
    group: ProcessGroup


def test_overlap_detection():
    assert overlapping([("a", 0, 10), ("b", 1, 2), ("c", 3, 4)]) == [("a", "b"), ("a", "c")]
    assert overlapping([("a", 0, 1), ("b", 1, 2), ("c", 2, 3)]) == []


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """Everything up, one run triggered and finished (successful or not: the tests say which)."""
    require_manifest()
    tmp = tmp_path_factory.mktemp("deployment")
    group = ProcessGroup(tmp / "logs")
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        with postgres_server(group) as pg, redis_server(group, tmp / "redis") as broker, \
                running_sandbox() as sandbox:
            try:
                dsn = f"postgresql://airflow@{pg}/airflow"
                port, password = free_port(), secrets.token_urlsafe(16)
                base = f"http://127.0.0.1:{port}"
                sources = sandbox_sources_file(sandbox.url, tmp / "sources.yml")
                env = airflow_env(tmp / "airflow", tmp / "data", sources, {
                    "AIRFLOW_PORT": str(port),
                    "AIRFLOW_ADMIN_USER": USER,
                    "AIRFLOW_ADMIN_PASSWORD": password,
                    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://airflow@{pg}/airflow",
                    "AIRFLOW__CELERY__BROKER_URL": f"redis://{broker}/0",
                    "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://airflow@{pg}/airflow",
                    "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
                    # Workers report task state and fetch connections through the API server, not the DB.
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
                })
                timings["services"] = time.monotonic() - t0
                # migrates, creates the writer pool, then API server, scheduler, DAG processor, triggerer
                group.start("airflow-ui", ["bash", str(ROOT / "scripts" / "airflow_ui.sh")], env)
                api = Api(base, USER, password)
                wait_for(lambda: port_open(port), 240, "the API server", group)
                for name in WORKERS:
                    group.start(name, [AIRFLOW, "celery", "worker", "--concurrency", "2", "--celery-hostname",
                                       f"{name}@%h", "--skip-serve-logs", "--without-gossip"],
                                {**env, "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.ops.worker_hostname.hostname",
                                 "DWH_WORKER_HOSTNAME": name})
                dag = wait_for(lambda: api.get(f"/api/v2/dags/{DAG_ID}"), 180, "the DAG to be parsed", group)
                assert not dag["is_paused"]
                timings["components"] = time.monotonic() - t0

                api.post(f"/api/v2/dags/{DAG_ID}/dagRuns",
                         {"dag_run_id": RUN_ID, "logical_date": f"{RUN_DATE}T00:30:00Z"})

                def finished():
                    state = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{RUN_ID}")["state"]
                    return state in ("success", "failed") and state

                state = wait_for(finished, RUN_TIMEOUT, "the DAG run", group, interval=3)
                timings["run"] = time.monotonic() - t0
                yield Deployment(tmp, base, api, dsn, state, group)
            finally:
                # Airflow first, while its database and broker are still up.
                group.stop_all()
    finally:
        group.stop_all()
        timings["total"] = time.monotonic() - t0
        print("deployment timings (s since start):", {k: round(v, 1) for k, v in timings.items()},
              "at", dt.datetime.now(dt.UTC).isoformat(), "; logs and screenshots in", tmp)


@pytest.mark.slow
def test_the_run_succeeds_on_both_workers_with_one_writer_at_a_time(deployment):
    tis = _query(deployment.dsn, "select task_id, map_index, state, hostname, pool, start_date, end_date "
                                 "from task_instance where dag_id = %s and run_id = %s", DAG_ID, RUN_ID)
    # Earlier tries of retried tasks held the pool too.
    history = _query(deployment.dsn, "select task_id, map_index, try_number, pool, start_date, end_date "
                                     "from task_instance_history where dag_id = %s and run_id = %s", DAG_ID, RUN_ID)
    # Every check is evaluated before failing, so one slow run reports everything it shows.
    problems = []
    failed = sorted(t[0] for t in tis if t[2] != "success")
    if deployment.state != "success":
        problems.append(f"run {deployment.state}; not successful: {failed}\n"
                        f"{task_log_tails(deployment.tmp / 'airflow', RUN_ID, failed)}")
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


def _browser(tmp_path: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    # An explicit driver and browser keep Selenium Manager from looking anything up online.
    service = Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    return webdriver.Chrome(service=service, options=options)


def _page_text(driver) -> str:
    return driver.find_element("tag name", "body").text


@pytest.mark.slow
def test_the_ui_signs_in_and_shows_the_successful_run(deployment, monkeypatch):
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(binary):
            pytest.fail(f"{binary} missing: run scripts/install_system_deps.sh (make system-deps)")
    monkeypatch.setenv("SE_OFFLINE", "true")
    api, base, tmp = deployment.api, deployment.base, deployment.tmp
    tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{RUN_ID}/taskInstances?limit=500")["task_instances"]
    states = {t["task_id"]: t["state"] for t in tis}
    failed = sorted(t for t, st in states.items() if st != "success")
    assert deployment.state == "success", (f"run {deployment.state}; not successful: {failed}\n"
                                           f"{task_log_tails(tmp / 'airflow', RUN_ID, failed)}")
    # one dbt task, or a task group of dbt models (`dbt.<model>`) if the DAG renders them with cosmos
    dbt_tasks = sorted(t for t in states if t.startswith("dbt"))
    assert dbt_tasks, f"no dbt task in the run: {sorted(states)}"

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _browser(tmp)
    try:
        driver.set_page_load_timeout(60)
        driver.get(base + "/")
        wait = WebDriverWait(driver, 60)
        wait.until(ec.presence_of_element_located((By.NAME, "username"))).send_keys(USER)
        driver.find_element(By.NAME, "password").send_keys(api.password)
        driver.save_screenshot(str(tmp / "01-login.png"))
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d: "/auth/login" not in d.current_url and "/login" not in d.current_url)

        driver.get(f"{base}/dags/{DAG_ID}/runs/{RUN_ID}")
        wait.until(lambda d: RUN_ID in _page_text(d) and "success" in _page_text(d).lower())
        driver.save_screenshot(str(tmp / "02-run.png"))
        run_page = _page_text(driver)
        assert DAG_ID in run_page
        # the grid lists the top-level tasks and task groups
        groups = {t.split(".", 1)[0] for t in dbt_tasks}
        assert all(g in run_page for g in groups), (groups, run_page[:2000])

        driver.get(f"{base}/dags")
        wait.until(lambda d: DAG_ID in _page_text(d))
        driver.save_screenshot(str(tmp / "03-dags.png"))
    finally:
        driver.quit()
