"""bandit over the code that talks to the world and to the warehouse: no finding left unexplained.

A finding is fixed, or suppressed on its line with the reason before the marker, e.g.
`...  # names: _ident/_type; values: sql_str  # nosec B608` (or `# nosec B310 - reason`). A bare `# nosec` (no test id, or no
reason) does not count as explained.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT

TARGETS = ["ingest", "dags", "dwh"]
# `# reason  # nosec B608` or `# nosec B310 - reason`
EXPLAINED = re.compile(r"#\s*\S.*#\s*nosec B\d{3}(?: B\d{3})*\s*$|#\s*nosec B\d{3}(?:[, ]+B\d{3})*\s+[-:]\s*\S")


def bandit() -> str:
    exe = Path(sys.executable).with_name("bandit")
    if exe.exists():
        return str(exe)
    found = shutil.which("bandit")
    if not found:
        pytest.fail("bandit is not installed: `make install` (it is in the test extras)")
    return found


def test_bandit_finds_nothing_unexplained():
    proc = subprocess.run([bandit(), "-r", *TARGETS, "-f", "json", "-q"], cwd=PROJECT, capture_output=True,
                          text=True)
    report = json.loads(proc.stdout)
    issues = [f"{r['filename']}:{r['line_number']} {r['test_id']} ({r['issue_severity']}): {r['issue_text']}"
              for r in report["results"]]
    assert not issues, "bandit findings (fix, or justify inline with `# reason  # nosec BXXX`):\n" + "\n".join(issues)
    assert not report["errors"], report["errors"]


def test_every_nosec_names_its_test_and_reason():
    bare = []
    for target in TARGETS:
        for path in sorted((PROJECT / target).rglob("*.py")):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if "nosec" in line and "#" in line and not EXPLAINED.search(line):
                    bare.append(f"{path.relative_to(PROJECT)}:{n}: {line.strip()}")
    assert not bare, "suppressions without a test id or a reason:\n" + "\n".join(bare)
