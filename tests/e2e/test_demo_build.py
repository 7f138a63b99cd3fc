"""The background demo build's hand-over (tests/e2e/demo_build.py), with stand-in commands for the demo."""
from __future__ import annotations

import sys
import time

import pytest

from tests.e2e import demo_build


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_the_first_caller_starts_the_build_and_every_caller_gets_its_data_dir(tmp_path):
    code = "import os, pathlib; pathlib.Path(os.environ['DWH_DATA_DIR'], 'warehouse.duckdb').write_text('built')"
    proc = demo_build.start(tmp_path, _python(code))
    assert proc is not None
    assert demo_build.start(tmp_path, _python("raise SystemExit(3)")) is None  # the second one only waits
    data = demo_build.wait(tmp_path)
    assert (data / "warehouse.duckdb").read_text() == "built"
    demo_build.finish(proc, tmp_path, abandon=False)
    assert proc.returncode == 0


def test_a_failed_build_fails_every_waiter_with_its_output(tmp_path):
    proc = demo_build.start(tmp_path, _python("print('sandbox would not start'); raise SystemExit(4)"))
    with pytest.raises(AssertionError, match="exited 4:\n(.|\n)*sandbox would not start"):
        demo_build.wait(tmp_path)
    demo_build.finish(proc, tmp_path, abandon=False)


def test_an_aborted_session_stops_the_build_and_releases_its_waiters(tmp_path):
    proc = demo_build.start(tmp_path, _python("import time; time.sleep(600)"))
    started = time.monotonic()
    demo_build.finish(proc, tmp_path, abandon=True)
    assert proc.returncode is not None and time.monotonic() - started < 30
    with pytest.raises(AssertionError, match="exited stopped: the test session was aborted"):
        demo_build.wait(tmp_path)
