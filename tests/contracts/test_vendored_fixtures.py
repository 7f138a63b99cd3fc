"""Vendored fixtures stay self-describing and the tests read only them: every origin folder under tests/fixtures
names its repository, commit and licence; no test reads ../shared (absent in a fresh clone)."""
from __future__ import annotations

import re

from tests.conftest import FIXTURES, PROJECT


def test_every_fixture_folder_names_its_origin_and_licence():
    folders = [p for p in FIXTURES.iterdir() if p.is_dir()]
    assert {"nautilus_trader", "tardis-node", "bitmex-swagger", "ccxt", "defillama"} <= {p.name for p in folders}
    for folder in folders:
        readme = folder / "README.md"
        assert readme.is_file(), f"{folder.name}: no README.md"
        text = readme.read_text()
        assert re.search(r"github\.com/[\w.-]+/[\w.-]+", text) or "Origin" in text, f"{folder.name}: no origin"
        assert re.search(r"@ ?[0-9a-f]{7,40}", text), f"{folder.name}: no commit the files were taken at"
        assert re.search(r"[Ll]icen[cs]e", text), f"{folder.name}: no licence stated"
        data = [p for p in folder.iterdir() if p.suffix in (".json", ".yaml", ".yml", ".jsonl", ".gz")]
        assert data, f"{folder.name}: a README without fixtures"


def test_copyleft_fixtures_carry_their_licence_text():
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (FIXTURES / "nautilus_trader" / "LICENSE").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in (FIXTURES / "nautilus_trader" / "COPYING.GPL-3").read_text()
    assert "Mozilla Public License" in (FIXTURES / "tardis-node" / "LICENSE").read_text()


def test_no_test_reads_the_shared_folder():
    pattern = re.compile(r"""parent\s*/\s*["']shared["']|shared/api-samples|shared/entities""")
    offenders = [f"{p.relative_to(PROJECT)}:{i}" for p in (PROJECT / "tests").rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if pattern.search(line) and p.name != "test_vendored_fixtures.py"]
    assert offenders == [], f"tests must read tests/fixtures, not ../shared: {offenders}"
