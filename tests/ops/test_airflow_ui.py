"""`make airflow-ui` as a person uses it: scripts/airflow_ui.sh on a free loopback port (SQLite metadata
in a temporary AIRFLOW_HOME), one run of crypto_market_daily against the exchange sandbox, then
Debian's headless Chromium signs in with the configured user and finds the DAG, its dbt tasks and
the successful run. A screenshot of each page is left in the test's tmp dir.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dwh.sandbox_proc import running_sandbox, sandbox_sources_file
from tests.ops.harness import (DAG_ID, ROOT, ProcessGroup, free_port, port_open, require_manifest, task_log_tails,
                               wait_for)

RUN_DATE = "2026-11-26"
RUN_ID = "ui_test"
RUN_TIMEOUT = 10 * 60
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
def test_airflow_ui_shows_a_successful_run(tmp_path, monkeypatch):
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(binary):
            pytest.fail(f"{binary} missing: run scripts/install_system_deps.sh (make system-deps)")
    monkeypatch.setenv("SE_OFFLINE", "true")
    require_manifest()

    user, password = "dwh-admin", secrets.token_urlsafe(16)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    group = ProcessGroup(tmp_path / "logs")
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    driver = None
    try:
        with running_sandbox() as sandbox:
            sources = sandbox_sources_file(sandbox.url, tmp_path / "sources.yml")
            env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
            env.update({
                "AIRFLOW_PORT": str(port),
                "AIRFLOW_ADMIN_USER": user,
                "AIRFLOW_ADMIN_PASSWORD": password,
                "DWH_DATA_DIR": str(tmp_path / "data"),
                "AIRFLOW_HOME": str(tmp_path / "airflow"),
                "DWH_SOURCES": str(sources),
                # Only the run the test triggers; the schedule would add one for "yesterday".
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            })
            group.start("airflow-ui", ["bash", str(ROOT / "scripts" / "airflow_ui.sh")], env)
            api = Api(base, user, password)

            wait_for(lambda: port_open(port), 180, "the API server", group)
            dag = wait_for(lambda: api.get(f"/api/v2/dags/{DAG_ID}"), 180, "the DAG to be parsed", group)
            assert not dag["is_paused"]
            timings["ready"] = time.monotonic() - t0

            api.post(f"/api/v2/dags/{DAG_ID}/dagRuns",
                     {"dag_run_id": RUN_ID, "logical_date": f"{RUN_DATE}T00:30:00Z"})

            def finished():
                state = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{RUN_ID}")["state"]
                return state in ("success", "failed") and state

            state = wait_for(finished, RUN_TIMEOUT, "the DAG run", group, interval=3)
            timings["run"] = time.monotonic() - t0
            tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{RUN_ID}/taskInstances?limit=500")["task_instances"]
            states = {t["task_id"]: t["state"] for t in tis}
            failed = sorted(t for t, st in states.items() if st != "success")
            assert state == "success", (f"run {state}; not successful: {failed}\n"
                                        f"{task_log_tails(tmp_path / 'airflow', RUN_ID, failed)}")
            dbt_tasks = sorted(t for t in states if t.startswith("dbt") and "." in t)
            assert dbt_tasks, f"cosmos rendered no dbt tasks: {sorted(states)}"

            driver = _browser(tmp_path)
            driver.set_page_load_timeout(60)
            driver.get(base + "/")
            from selenium.webdriver.common.by import By
            from selenium.webdriver.support import expected_conditions as ec
            from selenium.webdriver.support.ui import WebDriverWait

            wait = WebDriverWait(driver, 60)
            wait.until(ec.presence_of_element_located((By.NAME, "username"))).send_keys(user)
            driver.find_element(By.NAME, "password").send_keys(password)
            driver.save_screenshot(str(tmp_path / "01-login.png"))
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait.until(lambda d: "/auth/login" not in d.current_url and "/login" not in d.current_url)

            driver.get(f"{base}/dags/{DAG_ID}/runs/{RUN_ID}")
            wait.until(lambda d: RUN_ID in _page_text(d) and "success" in _page_text(d).lower())
            driver.save_screenshot(str(tmp_path / "02-run.png"))
            run_page = _page_text(driver)
            assert DAG_ID in run_page
            # The grid lists cosmos' task groups (one per dbt selection), each holding the model tasks.
            groups = {t.split(".", 1)[0] for t in dbt_tasks}
            assert all(g in run_page for g in groups), (groups, run_page[:2000])

            driver.get(f"{base}/dags")
            wait.until(lambda d: DAG_ID in _page_text(d))
            driver.save_screenshot(str(tmp_path / "03-dags.png"))
            timings["browser"] = time.monotonic() - t0
    finally:
        if driver is not None:
            driver.quit()
        group.stop_all()
        timings["total"] = time.monotonic() - t0
        print("airflow ui timings (s since start):", {k: round(v, 1) for k, v in timings.items()},
              "screenshots in", tmp_path)
