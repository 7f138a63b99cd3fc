"""The walls between the product and its harness (docs/architecture.md), read from the code's imports.

What a deployment runs (dwh, ingest, dags, expectations) never imports the simulated market, the tests or
the bench, and dwh holds no module named for test or demo plumbing: those live in sandbox/harness and
tests/support.
"""
from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT

PRODUCT = ("dwh", "ingest", "dags", "expectations")
HARNESS = {"sandbox", "tests", "bench"}
PLUMBING_WORDS = ("test", "sandbox", "demo", "replay")


def imported_modules(source: str, filename: str = "<source>") -> set[str]:
    """Absolute module names a file imports: import statements (any depth, lazy ones included) and
    importlib.import_module / __import__ calls with a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.add(node.args[0].value)
    return found


def wall_breaches(root: Path, packages: tuple[str, ...] = PRODUCT) -> list[str]:
    breaches = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            for module in sorted(imported_modules(path.read_text(), str(path))):
                if module.split(".")[0] in HARNESS:
                    breaches.append(f"{path.relative_to(root)} imports {module}")
    return breaches


def plumbing_modules(package_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(package_dir.parent)) for p in package_dir.rglob("*.py")
                  if any(word in p.stem.lower() for word in PLUMBING_WORDS))


def test_the_product_imports_no_sandbox_test_or_bench_module():
    assert wall_breaches(PROJECT) == []


def test_dwh_holds_no_test_sandbox_demo_or_replay_module():
    assert plumbing_modules(PROJECT / "dwh") == []


def test_the_walk_sees_every_kind_of_import(tmp_path):
    # the checks above pass on a clean tree; this proves they would not pass on a breached one
    (tmp_path / "dwh").mkdir()
    (tmp_path / "dwh" / "replay_driver.py").write_text(
        "import json\n"
        "from sandbox.harness.process import running_sandbox\n"
        "def f():\n"
        "    import tests.support.integrity\n"
        "    from . import pipeline\n"
        "    return importlib.import_module('bench.run')\n")
    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "ok.py").write_text("from ingest.config import data_dir\nimport sandboxed_lib\n")
    assert wall_breaches(tmp_path, ("dwh", "ingest")) == [
        "dwh/replay_driver.py imports bench.run",
        "dwh/replay_driver.py imports sandbox.harness.process",
        "dwh/replay_driver.py imports tests.support.integrity",
    ]
    assert plumbing_modules(tmp_path / "dwh") == ["dwh/replay_driver.py"]
