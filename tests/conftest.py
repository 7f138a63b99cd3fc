"""Shared fixtures: a private data dir per test session and a running exchange sandbox; the demo
warehouse's build started with the session when any collected test needs it (tests/e2e/demo_build.py)."""
from __future__ import annotations

import signal
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
# real-format payloads vendored with their origins and licences (tests/fixtures/README.md)
FIXTURES = PROJECT / "tests" / "fixtures"
SAMPLES = FIXTURES


def pytest_configure(config):
    # Tests Ctrl-C their children (a backfill, the demo build) as a user would. A suite started as a
    # background job of a shell without job control (`make test &` in a script) inherits SIGINT ignored,
    # and so would every child: Python then never raises KeyboardInterrupt and the child runs on. The
    # children get the disposition a terminal gives them.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _needs_demo(item: pytest.Item) -> bool:
    return "demo_dir" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    # Under `--dist loadfile` files are handed out in this order. The long ones first, so the two workers
    # end together; the quick ones fill in; the demo's last, so it builds in the background meanwhile.
    # A file keeps its items together (its module fixtures are set up once): the key is the file's.
    demo, slow = set(), set()
    for item in items:
        if _needs_demo(item):
            demo.add(item.path)
        if item.get_closest_marker("slow") is not None:
            slow.add(item.path)
    items.sort(key=lambda item: (item.path in demo, item.path not in slow))


@pytest.fixture(scope="session", autouse=True)
def _demo_build_in_background(request, tmp_path_factory, worker_id):
    if not any(_needs_demo(item) for item in request.session.items):
        yield
        return
    from tests.e2e import demo_build

    root = demo_build.shared_root(tmp_path_factory.getbasetemp(), worker_id)
    proc = demo_build.start(root)
    yield
    if proc is not None:
        session = request.session
        aborted = session.shouldfail or session.shouldstop or session.exitstatus == pytest.ExitCode.INTERRUPTED
        demo_build.finish(proc, root, abandon=bool(aborted))


@pytest.fixture(scope="session")
def sandbox():
    from sandbox.harness.process import running_sandbox

    with running_sandbox() as handle:
        yield handle


@pytest.fixture()
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("DWH_DATA_DIR", str(d))
    return d


@pytest.fixture()
def sandbox_sources(sandbox, data_dir, monkeypatch) -> Path:
    from sandbox.harness.process import sandbox_sources_file

    path = sandbox_sources_file(sandbox.url, data_dir / "sources.yml")
    monkeypatch.setenv("DWH_SOURCES", str(path))
    sandbox.clear_faults()
    return path
