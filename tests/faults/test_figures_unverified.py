"""A source that is down leaves its headline figures 'unverified'.

Half the sources are down for the day (every request to their hosts answers 500); the clean day and
that day are each loaded into a warehouse and built with dbt. A figure the clean run built from a
source that is down must come out 'unverified', or, where another provider of the same value took
over, 'single_source' without naming the missing one; it must not vanish or stay verified. The clean
run must have had at least one such figure that was not already unverified, or the test proves nothing.
"""
from __future__ import annotations

import duckdb
import pytest

from dwh.dbt import run_dbt
from ingest.load import load_day
from ingest.venues import MODULES, datasets_for
from tests.faults._harness import DAY, KNOWN_GAPS_FILE, known_gaps

pytestmark = pytest.mark.slow
MODELS_ONLY = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


def build(root, data, monkeypatch) -> dict[tuple, tuple]:
    data.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(data / "warehouse.duckdb")) as con:
        # stream datasets too: dbt reads their (empty) tables
        load_day(con, root, DAY, {s: datasets_for(s) for s in MODULES})
    monkeypatch.setenv("DWH_DATA_DIR", str(data))
    monkeypatch.setenv("DBT_TARGET_PATH", str(data / "dbt-target"))  # not the shared dbt_project/target
    monkeypatch.setenv("DBT_LOG_PATH", str(data / "dbt-logs"))
    run_dbt(["build", *MODELS_ONLY, "--vars", f"{{run_date: '{DAY.isoformat()}'}}"])
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM information_schema.tables "
                           "WHERE table_schema = 'marts' AND table_name = 'headline_figures'").fetchone()[0], \
            "the dbt build made no marts.headline_figures"
        rows = con.execute("SELECT figure, asset, coalesce(entity, ''), verification_status, sources, reason "
                           "FROM marts.headline_figures WHERE date = ?", [DAY]).fetchall()
    return {r[:3]: r[3:] for r in rows}


def acceptable(after: tuple | None, down: set[str]) -> bool:
    if after is None:
        return False  # a figure must say it could not be verified, not disappear
    status, sources = after[0], set((after[1] or "").split(","))
    return status == "unverified" or (status == "single_source" and not sources & down)


def test_sources_down_leave_their_figures_unverified(matrix, tmp_path, monkeypatch):
    down = set(matrix.groups()[0])
    root = matrix.workdir / "figures-outage"
    manifests = matrix.outage(sorted(down), root)
    still_up = {s for s in down if any(d["status"] == "ok" for d in manifests[s]["datasets"].values())}
    assert not still_up, f"sources meant to be down delivered data: {still_up}"

    clean = build(matrix.workdir / "clean", tmp_path / "clean", monkeypatch)
    broken = build(root, tmp_path / "broken", monkeypatch)
    involved = {k: v for k, v in clean.items() if set((v[1] or "").split(",")) & down}
    assert any(v[0] != "unverified" for v in involved.values()), \
        f"the clean run has no figure from {sorted(down)} that is not already unverified: nothing to prove"
    wrong = {k: broken.get(k) for k in involved if not acceptable(broken.get(k), down)}
    # known gaps: `headline_figures.<figure>: {outage: why}` in known_gaps.yml (a ratchet, as for datasets)
    gaps = {name.split(".", 1)[1] for (name, case) in known_gaps() if name.startswith("headline_figures.")
            and case == "outage"}
    unexpected = {k: v for k, v in wrong.items() if k[0] not in gaps}
    assert not unexpected, f"figures built from sources that are down ({sorted(down)}), after the outage: {unexpected}"
    fixed = gaps & {k[0] for k in involved} - {k[0] for k in wrong}
    assert not fixed, f"{sorted(fixed)} now come out right after an outage: remove them from {KNOWN_GAPS_FILE.name}"
