"""Suite files: the shipped ones load, and malformed ones are refused with a useful message."""
from __future__ import annotations

import pytest

from expectations.suite import PHASES, SuiteError, load_suites, parse_suite, suites_for

RAW = [f"raw.{v}__funding_rates" for v in ("binance", "bybit", "okx", "deribit", "bitmex", "hyperliquid")]


def test_shipped_suites_cover_the_raw_funding_tables():
    suites = {s.name: s for s in load_suites()}
    assert set(RAW) <= set(suites)
    for name, suite in suites.items():
        assert suite.table == name  # one suite per table, named after it
    raw = suites["raw.okx__funding_rates"]
    assert {c.name: c.severity for c in raw.checks} == {
        "expect_table_columns_to_match_set:loader_columns": "error",
        "expect_column_values_to_not_be_null:_key": "error",
        "expect_column_values_to_be_unique:_key": "error",
        "expect_table_row_count_to_be_between:day_has_rows": "warning",
    }


def test_gx_checks_only_raw_tables_and_the_published_figures():
    """Each check in one place: a mart's columns, keys and ranges are dbt tests, so no suite reads a mart."""
    stray = [s.name for s in load_suites() if s.schema not in PHASES]
    assert stray == [], f"move these checks into dbt tests (dbt_project/models/marts/*.yml): {stray}"
    assert {s.schema for s in suites_for("raw")} == {"raw"} and len(suites_for("raw")) > 50
    assert all(s.schema == "figures" for s in suites_for("figures"))


def test_a_phase_reads_only_its_schema(tmp_path):
    for name in ("raw.a__b", "figures.headline_figures", "marts.funding_daily"):
        (tmp_path / f"{name}.yml").write_text(f"table: {name}\nexpectations: [{{type: expect_column_to_exist, "
                                              "kwargs: {column: x}}]\n")
    assert [s.name for s in suites_for("raw", tmp_path)] == ["raw.a__b"]
    assert [s.name for s in suites_for("figures", tmp_path)] == ["figures.headline_figures"]
    with pytest.raises(SuiteError, match="unknown phase"):
        suites_for("marts", tmp_path)


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
