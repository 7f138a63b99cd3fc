"""Suite files: the shipped ones load, and malformed ones are refused with a useful message."""
from __future__ import annotations

import pytest

from expectations.suite import SuiteError, load_suites, parse_suite

RAW = [f"raw.{v}__funding_rates" for v in ("binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid")]


def test_shipped_suites_cover_the_funding_tables():
    suites = {s.name: s for s in load_suites()}
    assert set(RAW + ["marts.funding_rates", "marts.funding_daily"]) <= set(suites)
    for name, suite in suites.items():
        assert suite.table == name  # one suite per table, named after it
    raw = suites["raw.okx__funding_rates"]
    assert {c.name: c.severity for c in raw.checks} == {
        "expect_table_columns_to_match_set:loader_columns": "error",
        "expect_column_values_to_not_be_null:_key": "error",
        "expect_column_values_to_be_unique:_key": "error",
        "expect_table_row_count_to_be_between:day_has_rows": "warning",
    }
    caps = next(c for c in suites["marts.funding_rates"].checks if c.type == "caps_by_group")
    assert caps.kwargs["caps"]["binance"] == 0.03
    assert all(0 < cap < 0.05 for cap in caps.kwargs["caps"].values())


def test_unknown_suite_name():
    with pytest.raises(SuiteError, match="unknown suite"):
        load_suites(["marts.nope"])


@pytest.mark.parametrize("doc, message", [
    ({"expectations": [{"type": "x"}]}, "needs a 'table"),
    ({"table": "t", "expectations": []}, "no expectations"),
    ({"table": "t", "expectations": [{"type": "x", "severity": "fatal"}]}, "severity"),
    ({"table": "t", "expectations": [{"type": "x", "scope": "day"}]}, "date_column"),
    ({"table": "t", "expectations": [{"type": "row_count_vs_previous"}]}, "date_column"),
    ({"table": "t", "expectations": [{"type": "x", "kwargs": {"column": "a"}},
                                     {"type": "x", "kwargs": {"column": "a", "mostly": 0.9}}]}, "distinct ids"),
])
def test_malformed_suites_are_refused(doc, message):
    with pytest.raises(SuiteError, match=message):
        parse_suite("s", doc)


def test_default_ids_name_the_columns():
    suite = parse_suite("s", {"table": "t", "expectations": [
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["a", "b"]}},
        {"type": "expect_column_pair_values_to_be_equal", "kwargs": {"column_A": "a", "column_B": "b"}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}, "id": "nonempty"},
    ]})
    assert [c.name for c in suite.checks] == [
        "expect_compound_columns_to_be_unique:a,b", "expect_column_pair_values_to_be_equal:a,b",
        "expect_table_row_count_to_be_between:nonempty"]


def test_cli_refuses_to_start_without_a_warehouse(tmp_path, capsys):
    from expectations.__main__ import main

    assert main(["--date", "2026-11-26", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert main(["--date", "2026-11-26", "--db", str(tmp_path / "none.duckdb"), "--suite", "marts.nope"]) == 2
    assert "unknown suite" in capsys.readouterr().err


def test_raw_suites_name_only_columns_the_loader_writes():
    """A raw suite's columns come from the dataset spec: a renamed field must change its suite too, or
    the daily validation fails on the first real run (the check is an error)."""
    from ingest.load import table_name
    from ingest.venues import MODULES, datasets_for

    loader = {"_key", "_record", "_date", "_file", "_fetched_at"}
    written = {table_name(s, d.name): {f.name for f in d.fields} | loader for s in MODULES for d in datasets_for(s)}
    checked = 0
    for suite in load_suites():
        if not suite.table.startswith("raw.") or suite.table not in written:
            continue
        for check in suite.checks:
            kw = check.kwargs
            named = set(kw.get("column_set") or kw.get("column_list") or []) | \
                {kw[k] for k in ("column", "column_A", "column_B") if isinstance(kw.get(k), str)}
            unknown = named - written[suite.table] - set(suite.derived)
            assert not unknown, f"{suite.name} {check.name}: {sorted(unknown)} are not columns the loader writes"
            checked += 1
    assert checked > 50, f"only {checked} raw checks were looked at"
