"""The demo warehouse (`make demo`) built once per test session, in the background from its start.

The build takes minutes on one core. Started by the first test of any worker that has demo tests in its
collection, it runs beside the rest of the suite instead of holding one worker while the other waits on
it; the demo's test files are ordered last (tests/conftest.py), so by the time they run it is mostly done.
Every pytest-xdist worker has its own basetemp under a shared one: the build lives in the shared one, and
whichever process gets there first starts it (an exclusively created file decides), the others only wait.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import PROJECT

# `make demo`'s own command, so the tests build the warehouse the way a user does.
DEMO_COMMAND = [sys.executable, "-m", "sandbox", "demo"]
TIMEOUT = 2400
# bash records the exit status when the demo ends, whichever process started it and whichever waits.
_RECORD_STATUS = '"$@" >"$OUT" 2>&1; echo $? >"$RC.tmp"; mv "$RC.tmp" "$RC"'


def shared_root(basetemp: Path, worker_id: str) -> Path:
    return basetemp if worker_id == "master" else basetemp.parent


def paths(root: Path) -> tuple[Path, Path, Path]:
    """The demo's data dir, its combined output and its exit status file."""
    data = root / "demo" / "data"
    return data, root / "demo" / "output.txt", root / "demo" / "returncode"


def start(root: Path, command: list[str] = DEMO_COMMAND) -> subprocess.Popen | None:
    """Starts the build unless another process already did; returns it only to the process that started it."""
    data, out, rc = paths(root)
    data.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(root / "demo" / "started", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return None
    env = dict(os.environ, DWH_DATA_DIR=str(data), OUT=str(out), RC=str(rc))
    env.pop("DWH_SOURCES", None)
    # its own session: stopping it takes the demo's sandbox down with it
    return subprocess.Popen(["bash", "-c", _RECORD_STATUS, "demo-build", *command], cwd=PROJECT, env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def wait(root: Path) -> Path:
    """The built warehouse's data dir; fails with the demo's output when it did not build."""
    start(root)
    data, out, rc = paths(root)
    deadline = time.monotonic() + TIMEOUT
    while not rc.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo build took over {TIMEOUT} s; its output so far:\n"
                               + (out.read_text()[-6000:] if out.exists() else "(no output)"))
        time.sleep(1)
    status = rc.read_text().strip()
    output = out.read_text()[-6000:] if out.exists() else "(no output)"
    assert status == "0", f"the demo build exited {status}:\n{output}"
    return data


def finish(proc: subprocess.Popen, root: Path, *, abandon: bool) -> None:
    """At the end of the starting process's session: a build others may still wait on is let finish;
    an aborted session (-x, Ctrl-C) stops it, Ctrl-C first so the demo stops its sandbox."""
    if not abandon:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=TIMEOUT)
    for sig, grace in ((signal.SIGINT, 30), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    rc = paths(root)[2]
    if not rc.exists():  # a waiter fails at once instead of at the timeout
        rc.write_text("stopped: the test session was aborted")
