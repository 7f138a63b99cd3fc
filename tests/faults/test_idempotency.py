"""Reruns and backfill order change nothing: D run twice, or D run after D+1, gives the same marts.

The reference loads the days in order and builds once. Against it: the days run one by one as the
schedule does (load, then dbt build with run_date=D) in reverse order, so each D runs after D+1; and
the in-order warehouse with a day ingested, loaded and built a second time. Marts are compared by
content hash, run-metadata tables aside.
"""
from __future__ import annotations

import shutil

import pytest

from tests.faults._pipeline import DAYS, dbt_build, ingest_day, load, mart_hashes, scenario, warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(history, tmp_path_factory):
    base = tmp_path_factory.mktemp("idempotency")
    data = scenario(base, "in-order", history["landing"])
    load(data, history["sources"], DAYS)
    dbt_build(data, history["sources"], DAYS[-1])
    hashes = mart_hashes(data)
    assert hashes and all(h != "empty" for h in hashes.values()), f"marts to compare: {hashes}"
    return {"base": base, "data": data, "hashes": hashes}


def _diff(got: dict[str, str], want: dict[str, str]) -> list[str]:
    return sorted(t for t in set(got) | set(want) if got.get(t) != want.get(t))


def test_each_day_after_the_next(history, reference):
    data = scenario(reference["base"], "reverse", history["landing"])
    for day in reversed(DAYS):
        load(data, history["sources"], [day])
        dbt_build(data, history["sources"], day)
    got = mart_hashes(data)
    assert not _diff(got, reference["hashes"]), f"marts differ after a backward backfill: {_diff(got, reference['hashes'])}"


@pytest.mark.parametrize("day", DAYS[:2], ids=lambda d: d.isoformat())
def test_day_run_twice(fault_sandbox, history, reference, day):
    data = scenario(reference["base"], f"twice-{day}", history["landing"], copy=True)
    shutil.copy(warehouse(reference["data"]), warehouse(data))
    # a second scheduled run of the day: lands its answers again (a new run id), loads, builds
    runs = ingest_day(fault_sandbox, history["sources"], data, day)
    first = history["runs"][day]
    regressed = [f"{s}.{d}" for s, m in runs.items() for d, v in m["datasets"].items()
                 if v["status"] == "failed" and first[s]["datasets"].get(d, {}).get("status") == "ok"]
    assert not regressed, f"the second run failed where the first did not: {regressed}"
    load(data, history["sources"], [day])
    dbt_build(data, history["sources"], day)
    got = mart_hashes(data)
    assert not _diff(got, reference["hashes"]), f"marts differ after running {day} twice: {_diff(got, reference['hashes'])}"
