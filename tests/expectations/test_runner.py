"""The runner end to end on small DuckDB files. GX is slow to import, so each scenario runs once per
module (module-scoped fixtures) and the tests only read its results."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from expectations import RESULTS_TABLE, ValidationFailed, load_suites, raise_on_errors, run_suites
from expectations.suite import parse_suite, suites_for
from tests.expectations._warehouse import RUN_DATE, build_warehouse

pytestmark = pytest.mark.slow  # each fixture builds a warehouse and runs every GX suite over it: 5-20 s

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# The runner's own tests: every built-in kind (freshness, row_count_vs_previous, caps_by_group), derived
# columns and day scopes, on two derived tables of the test warehouse (tests/expectations/suites/), beside a
# shipped raw suite.
SUITES = {s.name: s for s in load_suites(suites_dir=HERE / "suites")}
SUITES["raw.binance__funding_rates"] = load_suites(["raw.binance__funding_rates"])[0]
FUNDING = ["marts.funding_rates", "marts.funding_daily", "raw.binance__funding_rates"]


def suites(*names: str) -> list:
    return [SUITES[n] for n in names]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWH_DATA_DIR", str(path))
        yield path


def _rows(db: Path, day: dt.date = RUN_DATE) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(f"SELECT * FROM {RESULTS_TABLE} WHERE run_date = ? ORDER BY suite, expectation", [day])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def _by_name(summary) -> dict[str, tuple[str, str]]:
    return {f"{r.suite} {r.expectation}": (r.status, r.severity) for r in summary.results}


@pytest.fixture(scope="module")
def good(data_dir):
    db = build_warehouse(data_dir / "good.duckdb")
    docs = data_dir / "docs"
    everything = suites_for("raw") + suites("marts.funding_rates", "marts.funding_daily")
    with pytest.MonkeyPatch.context() as mp:
        config_writes = _count_config_writes(mp)
        first = run_suites(db, RUN_DATE, suites=everything, docs_dir=docs)
    rows_first = _rows(db)
    second = run_suites(db, RUN_DATE, suites=everything, docs_dir=docs)
    rows_second = _rows(db)
    # Only the suites run are replaced: the others keep their first-run rows.
    third = run_suites(db, RUN_DATE, suites=suites("marts.funding_daily"), docs_dir=docs)
    return {"db": db, "docs": docs, "first": first, "second": second, "third": third, "suites": everything,
            "rows_first": rows_first, "rows_second": rows_second, "rows_third": _rows(db),
            "config_writes": config_writes}


def _count_config_writes(mp: pytest.MonkeyPatch) -> list[int]:
    """Counts how often GX serializes its project config (great_expectations.yml in a file context, an
    in-memory copy in an ephemeral one): GX does it on every datasource, asset and batch definition added
    one by one, which once took more than half of the validate step."""
    from great_expectations.data_context.types.base import DataContextConfig

    calls = [0]
    serialize = DataContextConfig.to_yaml_str

    def counted(self):
        calls[0] += 1
        return serialize(self)

    mp.setattr(DataContextConfig, "to_yaml_str", counted)
    return calls


def test_good_data_passes_one_row_per_check(good):
    summary, rows = good["first"], good["rows_first"]
    expected = sum(len(s.checks) + sum(len(c.kwargs["caps"]) - 1 for c in s.checks if c.type == "caps_by_group")
                   for s in good["suites"])
    assert len(rows) == len(summary.results) == expected
    ran = [r for r in rows if r["suite"] in FUNDING]
    assert ran and {r["status"] for r in ran} == {"passed"}, [r for r in ran if r["status"] != "passed"]
    assert summary.failures_by_severity == {"error": [], "warning": []}
    assert summary.warned_tables == []
    raise_on_errors(summary)
    assert set(rows[0]) == {"run_date", "suite", "expectation", "table", "status", "observed_value", "severity",
                            "checked_at", "details"}
    caps = {r["expectation"] for r in ran if r["expectation"].startswith("caps_by_group")}
    assert "caps_by_group:rate:binance" in caps


def test_missing_tables_are_skipped_with_reason(good):
    skipped = [r for r in good["rows_first"] if r["suite"] == "raw.okx__funding_rates"]
    assert skipped and {r["status"] for r in skipped} == {"skipped"}
    assert skipped[0]["observed_value"] == "table raw.okx__funding_rates does not exist"
    assert not any(r["status"] == "skipped" for r in good["rows_first"] if r["suite"] in FUNDING)


def test_rerun_replaces_rows(good):
    first, second, third = good["rows_first"], good["rows_second"], good["rows_third"]
    key = lambda r: (r["suite"], r["expectation"])  # noqa: E731
    assert sorted(map(key, first)) == sorted(map(key, second)) == sorted(map(key, third))
    assert {r["checked_at"] for r in second} == {good["second"].results[0].checked_at}
    reran = {r["checked_at"] for r in third if r["suite"] == "marts.funding_daily"}
    kept = {r["checked_at"] for r in third if r["suite"] != "marts.funding_daily"}
    assert reran == {good["third"].results[0].checked_at} and kept == {good["second"].results[0].checked_at}


def test_computed_bounds_are_recorded(good):
    rows = {r["expectation"]: r for r in good["rows_first"] if r["suite"] == "marts.funding_daily"}
    vs_prev = rows["row_count_vs_previous:vs_previous_7d"]
    assert vs_prev["observed_value"] == "12"
    assert '"previous_mean": 12.0' in vs_prev["details"] and '"min_value": 11' in vs_prev["details"]
    assert rows["freshness:date"]["observed_value"].startswith("2026-11-26")


def test_data_docs_and_gx_stores_live_under_the_data_dir(good, data_dir):
    assert good["first"].docs_index == good["docs"] / "index.html"
    index = (good["docs"] / "index.html").read_text()
    # Validation pages are filed under the run date (GX run name), one per run: the second run's docs
    # build kept the first run's page, because the results they render from are stored under the data dir.
    pages = sorted((good["docs"] / "validations" / "marts" / "funding_rates" / "table").glob("2026-11-26/*/*.html"))
    assert len(pages) == 2, pages
    assert all(str(page.relative_to(good["docs"])) in index for page in pages)
    gx_dir = data_dir / "gx"
    assert list((gx_dir / "uncommitted" / "validations" / "marts" / "funding_rates" / "table").rglob("*.json"))
    assert (gx_dir / "expectations" / "marts" / "funding_rates" / "table.json").exists()
    assert not (REPO / "gx").exists() and not (REPO / "expectations" / "gx").exists()


def test_gx_project_config_is_not_rewritten_per_suite(good, data_dir):
    # Dozens of suites and GX batches in one run: the datasource with all its assets and batch definitions
    # is added in one call, so the count does not grow with them.
    assert good["config_writes"][0] <= 2, f"{good['config_writes'][0]} GX config serializations in one run"
    assert list(data_dir.rglob("great_expectations.yml")) == []


@pytest.fixture(scope="module")
def as_of(data_dir):
    """The good warehouse judged for the day after its last load, and as a backfill of an earlier day."""
    db = build_warehouse(data_dir / "asof.duckdb")
    checked = suites("marts.funding_daily", "marts.funding_rates")
    return {"next": run_suites(db, RUN_DATE + dt.timedelta(days=1), suites=checked, write_results=False),
            "backfill": run_suites(db, RUN_DATE - dt.timedelta(days=3), suites=checked, write_results=False)}


def test_missing_day_fails_freshness_and_counts(as_of):
    got = _by_name(as_of["next"])
    assert got["marts.funding_daily freshness:date"] == ("failed", "error")
    assert got["marts.funding_daily row_count_vs_previous:vs_previous_7d"] == ("failed", "warning")
    assert got["marts.funding_rates expect_table_row_count_to_be_between:day_has_events"] == ("failed", "error")
    assert got["marts.funding_rates freshness:funding_time"] == ("failed", "warning")


def test_backfill_is_judged_as_of_its_day(as_of):
    bad = [r for r in as_of["backfill"].results if r.status != "passed"]
    assert bad == []


@pytest.fixture(scope="module")
def warn_only(data_dir):
    """A binance rate above binance's cap but inside the global bound: a warning, nothing else."""
    db = build_warehouse(data_dir / "warn.duckdb")
    con = duckdb.connect(str(db))
    con.execute("UPDATE marts.funding_rates SET rate = 0.04, annualized_rate = 0.04 * 24 / interval_hours * 365 "
                "WHERE exchange = 'binance' AND symbol = 'BTCUSDT' AND funding_time = TIMESTAMPTZ '2026-11-20 08:00:00+00'")
    con.close()
    return db, run_suites(db, RUN_DATE, suites=suites(*FUNDING), write_results=False)


def test_cap_breach_is_a_warning_that_does_not_raise(warn_only):
    db, summary = warn_only
    got = _by_name(summary)
    assert got["marts.funding_rates caps_by_group:rate:binance"] == ("failed", "warning")
    assert got["marts.funding_rates caps_by_group:rate:bybit"] == ("passed", "warning")
    assert got["marts.funding_rates expect_column_values_to_be_between:rate"] == ("passed", "error")
    assert [r.expectation for r in summary.failures_by_severity["warning"]] == ["caps_by_group:rate:binance"]
    assert "0.04" in summary.failures_by_severity["warning"][0].observed_value
    assert summary.warned_tables == ["marts.funding_rates"]
    assert raise_on_errors(summary) is summary
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'data_quality_results'").fetchone() == (0,)
    con.close()


@pytest.fixture(scope="module")
def broken(data_dir):
    """A duplicate event, a rate beyond every cap, a null key, and checks that cannot run."""
    db = build_warehouse(data_dir / "broken.duckdb")
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO marts.funding_rates SELECT * FROM marts.funding_rates "
                "WHERE exchange = 'okx' AND funding_time = TIMESTAMPTZ '2026-11-26 08:00:00+00' AND asset = 'BTC'")
    con.execute("UPDATE marts.funding_rates SET rate = 0.2, annualized_rate = 0.2 * 3 * 365 "
                "WHERE exchange = 'bybit' AND asset = 'ETH' AND funding_time = TIMESTAMPTZ '2026-11-25 16:00:00+00'")
    con.execute("UPDATE raw.binance__funding_rates SET _key = NULL WHERE _date = DATE '2026-11-24'")
    con.close()
    odd = parse_suite("odd", {"table": "marts.funding_daily", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "no_such_column"}, "severity": "warning"},
        {"type": "expect_nothing_in_particular", "kwargs": {}, "severity": "error"},
    ]})
    summary = run_suites(db, RUN_DATE, suites=suites(*FUNDING) + [odd], docs_dir=data_dir / "broken_docs")
    return db, summary


def test_bad_data_fails_the_right_checks(broken):
    db, summary = broken
    got = _by_name(summary)
    assert got["marts.funding_rates expect_compound_columns_to_be_unique:event_key"] == ("failed", "error")
    assert got["marts.funding_rates expect_column_values_to_be_between:rate"] == ("failed", "error")
    assert got["marts.funding_rates caps_by_group:rate:bybit"] == ("failed", "warning")
    assert got["raw.binance__funding_rates expect_column_values_to_not_be_null:_key"] == ("failed", "error")
    assert got["raw.binance__funding_rates expect_column_values_to_be_unique:_key"] == ("passed", "error")
    assert got["odd expect_column_values_to_not_be_null:no_such_column"] == ("error", "warning")
    assert got["odd expect_nothing_in_particular:table"] == ("error", "error")
    # The day's own rows were not touched, so day-scoped checks still pass.
    assert got["raw.binance__funding_rates expect_table_row_count_to_be_between:day_has_rows"] == ("passed", "warning")
    assert summary.failed_tables == ["marts.funding_daily", "marts.funding_rates", "raw.binance__funding_rates"]
    assert summary.warned_tables == ["marts.funding_daily", "marts.funding_rates"]
    stored = {(r["suite"], r["expectation"]): r for r in _rows(db)}
    null_key = stored[("raw.binance__funding_rates", "expect_column_values_to_not_be_null:_key")]
    assert (null_key["status"], null_key["severity"], null_key["observed_value"]) == ("failed", "error", "6 of 48 unexpected")


def test_raise_on_errors_raises_for_errors(broken):
    _, summary = broken
    with pytest.raises(ValidationFailed) as info:
        raise_on_errors(summary)
    assert info.value.summary is summary
    assert "event_key" in str(info.value)


def test_cli_exit_codes(good, broken, capsys):
    from expectations.__main__ import main

    assert main(["--date", RUN_DATE.isoformat(), "--db", str(good["db"]), "--suite", "raw.binance__funding_rates",
                 "--no-write", "--docs-dir", str(good["docs"])]) == 0
    assert "day_has_rows" in capsys.readouterr().out
    assert main(["--date", RUN_DATE.isoformat(), "--db", str(broken[0]), "--suite", "raw.binance__funding_rates",
                 "--no-write", "--docs-dir", str(good["docs"])]) == 1
    assert "1 error(s)" in capsys.readouterr().out
