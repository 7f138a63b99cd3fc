"""Real services as plain processes for the ops tests: PostgreSQL, Redis and Airflow components.

Every process starts in its own session, so stopping it kills the whole process group (Airflow
components fork task runners and gunicorn/uvicorn workers); `ProcessGroup` stops everything it
started even when the test body raised.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
AIRFLOW = str(BIN / "airflow") if (BIN / "airflow").exists() else "airflow"
DAG_ID = "crypto_market_daily"
WRITER_POOL = "duckdb_writer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    stop_signal: int = signal.SIGTERM

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class ProcessGroup:
    """Processes started by one test, stopped in reverse order of start."""
    log_dir: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, cmd: list[str], env: dict[str, str], *, user: str | None = None,
              stop_signal: int = signal.SIGTERM, cwd: Path = ROOT) -> Proc:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, user=user)
        proc = Proc(name, popen, log, stop_signal)
        self.procs.append(proc)
        return proc

    def check_alive(self) -> None:
        for proc in self.procs:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{tail(proc.log)}")

    def stop(self, proc: Proc, timeout: float = 20) -> None:
        pgid = proc.popen.pid  # session leader: its pid is the group id
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, proc.stop_signal)
        try:
            proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        # Children (task runners, API workers) may outlive the leader; take the whole group down.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=5)

    def stop_all(self) -> None:
        while self.procs:
            self.stop(self.procs.pop())

    def logs(self, chars: int = 2500) -> str:
        return "\n".join(f"==== {p.name} ====\n{tail(p.log, chars)}" for p in self.procs)


def wait_for(predicate: Callable[[], object], timeout: float, what: str, group: ProcessGroup | None = None,
             interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        if group is not None:
            group.check_alive()
        try:
            result = predicate()
        except Exception:  # noqa: BLE001 - not ready yet (connection refused, table missing, ...)
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- PostgreSQL -------------------------------------------------------------------------------

def postgres_bin(name: str) -> str:
    # Debian keeps the server binaries off PATH, one directory per major version.
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: run scripts/install_system_deps.sh")
    return found


@contextlib.contextmanager
def postgres_server(group: ProcessGroup, db: str = "airflow", user: str = "airflow") -> Iterator[str]:
    """A throwaway cluster on a free loopback port; yields host:port. Trust auth: loopback and a
    temporary directory only."""
    # PostgreSQL refuses to run as root, and pytest's tmp dirs are private to root: own a fresh dir.
    run_as = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="dwh-pg-"))
    try:
        if run_as:
            shutil.chown(base, user=run_as)
        data = base / "data"
        subprocess.run([postgres_bin("initdb"), "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8",
                        "--no-locale", "--no-sync"], check=True, user=run_as, cwd=base,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port = free_port()
        group.start("postgres", [postgres_bin("postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
                                 "-k", str(base), "-c", "fsync=off", "-c", "synchronous_commit=off",
                                 "-c", "full_page_writes=off", "-c", "max_connections=300"],
                    env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"}, user=run_as,
                    stop_signal=signal.SIGINT, cwd=base)  # SIGINT: fast shutdown, no waiting on clients

        import psycopg2

        def create_db() -> bool:
            con = psycopg2.connect(host="127.0.0.1", port=port, user=user, dbname="postgres", connect_timeout=2)
            try:
                con.autocommit = True
                with con.cursor() as cur:
                    cur.execute(f'CREATE DATABASE "{db}"')
            finally:
                con.close()
            return True

        wait_for(create_db, 60, "PostgreSQL", group, interval=0.3)
        yield f"127.0.0.1:{port}"
    finally:
        for proc in [p for p in group.procs if p.name == "postgres"]:
            group.procs.remove(proc)
            group.stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def redis_server(group: ProcessGroup, workdir: Path) -> Iterator[str]:
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = group.start("redis", [redis, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                 "--appendonly", "no", "--dir", str(workdir), "--protected-mode", "yes"],
                       env={"PATH": os.environ.get("PATH", "")})
    try:
        wait_for(lambda: port_open(port), 30, "Redis", group, interval=0.2)
        yield f"127.0.0.1:{port}"
    finally:
        if proc in group.procs:
            group.procs.remove(proc)
            group.stop(proc)


# --- Airflow ----------------------------------------------------------------------------------

def airflow_env(home: Path, data_dir: Path, sources: Path, extra: dict[str, str]) -> dict[str, str]:
    import secrets

    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # Only the run the test triggers: no scheduled run for "yesterday" competing for the pool.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__WORKERS": "1",
        # No network here: cosmos would otherwise try to report usage on every run.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "SCARF_NO_ANALYTICS": "true",
        "DWH_DATA_DIR": str(data_dir),
        "DWH_SOURCES": str(sources),
        "DBT_PROFILES_DIR": str(ROOT / "dbt_project"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    })
    env.update(extra)
    return env


def airflow_cli(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run([AIRFLOW, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"airflow {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                           f"{done.stderr[-3000:]}")
    return done.stdout


def task_log_tails(airflow_home: Path, run_id: str, task_ids: list[str], chars: int = 1500) -> str:
    """The end of the last attempt's log of each task, for a failure message."""
    out = []
    for task_id in task_ids[:8]:
        logs = sorted(airflow_home.glob(f"logs/dag_id={DAG_ID}/run_id={run_id}/task_id={task_id}/**/*.log"))
        if logs:
            out.append(f"==== {task_id} ({logs[-1].name}) ====\n{tail(logs[-1], chars)}")
    return "\n".join(out)


def require_manifest() -> None:
    manifest = ROOT / "dbt_project" / "target" / "manifest.json"
    if not manifest.exists():
        subprocess.run([str(BIN / "dbt"), "parse", "--quiet"], cwd=ROOT / "dbt_project", check=True,
                       env={**os.environ, "DBT_PROFILES_DIR": str(ROOT / "dbt_project")})


def overlapping(intervals: list[tuple[str, object, object]]) -> list[tuple[str, str]]:
    """Pairs of (name, start, end) intervals that share any instant (touching ends do not)."""
    clashes = []
    latest: tuple[str, object, object] | None = None  # the interval seen so far that ends last
    for name, start, end in sorted(intervals, key=lambda i: i[1]):
        if latest is not None and start < latest[2]:
            clashes.append((latest[0], name))
        if latest is None or end > latest[2]:
            latest = (name, start, end)
    return clashes
