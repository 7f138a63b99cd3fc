"""Reruns and backfill order change nothing: D run twice, or D run after D+1, gives the same marts.

The reference loads the days in order and builds once. Against it: the days run one by one as the
schedule does (load, then dbt build with run_date=D) in reverse order, so each D runs after D+1; and
the in-order warehouse with a day ingested, loaded and built a second time. Marts are compared by
content hash, run-metadata tables aside.
"""
from __future__ import annotations

import json
import shutil

import pytest

from dwh.dbt import DBT_DIR, dbt_executable, with_project_vars
from tests.faults._pipeline import (
    DAYS,
    DBT_BUILD,
    dbt_build,
    ingest_day,
    load,
    load_command,
    mart_hashes,
    run,
    scenario,
    warehouse,
)
from tests.support.integrity import table_hashes

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


def _raw_hashes(data) -> dict[str, str]:
    # each scenario has its own data directory over the same landed files; the loads' order (load_seq)
    # depends on which source finished first, by design
    return table_hashes(warehouse(data), "raw", landing_relative=True, exclude_columns=("load_seq",))


def test_sources_loaded_side_by_side_store_what_one_at_a_time_stores(history, reference, monkeypatch):
    """The loader runs sources in parallel (DWH_THREADS workers, one transaction each): one worker must
    give every raw table, the quarantine and the load log row for row."""
    monkeypatch.setenv("DWH_THREADS", "1")
    data = scenario(reference["base"], "one-source-at-a-time", history["landing"])
    load(data, history["sources"], DAYS)
    got, want = _raw_hashes(data), _raw_hashes(reference["data"])
    assert len(want) > 40 and {"quarantine", "load_log", "ingest_runs"} <= set(want), sorted(want)
    assert not _diff(got, want), f"raw tables differ between one and two loading workers: {_diff(got, want)}"


@pytest.mark.parametrize("watermarks", ["kept", "predating"])
def test_a_day_loaded_later_is_rebuilt_by_a_build_for_another_day(history, reference, watermarks):
    """A backfill: the middle day is loaded after the last day was built, and the next build names the last
    day (not the backfilled one). With no lookback the rebuild must start from the load log's days
    (macros/incremental.sql): the option chains, a snapshot per day with no tail in the next day's load,
    must then hold all three days as the in-order build does. `predating`: the first build's warehouse as
    one made before loads were numbered (no watermark, no load_seq), which the fallback rule rebuilds."""
    import duckdb

    data = scenario(reference["base"], f"hole-filled-later-{watermarks}", history["landing"])
    lookback_0 = [*DBT_BUILD, "--select", "+options_expiries", "+options_expiries_total"]
    for days in ([DAYS[0], DAYS[2]], [DAYS[1]]):
        if days == [DAYS[1]] and watermarks == "predating":
            with duckdb.connect(str(warehouse(data))) as con:
                con.execute("DROP TABLE build_state.rebuild_watermarks")
                con.execute("UPDATE raw.load_log SET load_seq = NULL")
        load(data, history["sources"], days)
        run([dbt_executable(), *with_project_vars([*lookback_0, "--vars", json.dumps(
            {"run_date": DAYS[2].isoformat(), "rebuild_lookback_days": 0})]), "--project-dir", str(DBT_DIR),
             "--profiles-dir", str(DBT_DIR)], data, history["sources"])
    got = {k: v for k, v in mart_hashes(data).items() if k.startswith("options_")}
    want = {k: v for k, v in reference["hashes"].items() if k.startswith("options_")}
    assert len(want) == 2 and not _diff(got, want), f"option marts differ after a backfilled day: {_diff(got, want)}"


def test_a_source_backfilled_into_a_day_the_marts_already_hold_is_rebuilt(history, reference):
    """A venue failed on the first day while the others loaded it: the first build holds that day from the
    other venues. The failed venue is backfilled afterwards and the next build names the last day, with no
    lookback at all: the day must be rebuilt because it was loaded since the last build (raw.load_log's
    load_seq against the build's watermark), though the marts already held it; "the days a table lacks"
    missed it. Every mart must then equal the in-order build's."""
    data = scenario(reference["base"], "venue-backfilled-later", history["landing"])
    late = "okx"
    no_lookback = [dbt_executable(), *with_project_vars([*DBT_BUILD, "--vars", json.dumps(
        {"run_date": DAYS[-1].isoformat(), "rebuild_lookback_days": 0})]), "--project-dir", str(DBT_DIR),
        "--profiles-dir", str(DBT_DIR)]
    run(_load_sources(load_command(DAYS[1:]), DAYS[0], f"n != {late!r}"), data, history["sources"])
    run(no_lookback, data, history["sources"])
    held = _liquidation_days(data)
    assert DAYS[0] in held, f"the first build should hold the first day from the other venues: {held}"
    run(_load_sources(load_command([]), DAYS[0], f"n == {late!r}"), data, history["sources"])
    run(no_lookback, data, history["sources"])
    got = mart_hashes(data)
    assert not _diff(got, reference["hashes"]), f"marts differ after a venue's day was backfilled: {_diff(got, reference['hashes'])}"


def _liquidation_days(data) -> set:
    import duckdb

    with duckdb.connect(str(warehouse(data)), read_only=True) as con:
        return {d for (d,) in con.execute("SELECT DISTINCT cast(liquidated_at AS date) FROM "
                                          "intermediate.int_liquidations_deduplicated").fetchall()}


def _load_sources(command: list[str], day, which: str) -> list[str]:
    """`command` (tests.faults._pipeline.load_command) with one more day loaded for the enabled sources whose
    name `n` meets the condition `which` (as dwh.pipeline.load picks them)."""
    return [*command[:-1], command[-1].rstrip("; ") + "; from dwh.pipeline import require_enabled_sources; "
            "from ingest.venues import MODULES; "
            f"load('{day.isoformat()}', [n for n in require_enabled_sources() if n in MODULES and {which}])"]
