"""Suites as data: one YAML file per table under `expectations/suites/`, loaded into plain objects.

GX checks two things here, each at its own step of the run: the raw tables as landed (`raw.*`, before dbt
builds anything) and the published figures (`figures.*`, after it). Columns, keys and ranges of the marts
are dbt tests and contracts, so a suite on any other schema belongs to no step (`suites_for` leaves it out
and logs it; tests/expectations/test_suite.py fails on it).

    table: marts.funding_daily          # schema.table in the warehouse
    date_column: date                   # gives a row's day; needed by scope: day and row_count_vs_previous
    derived:                            # optional: name -> DuckDB expression, usable as a column
      annualized_error: abs(annualized_rate - rate_8h * 3 * 365)
    expectations:
      - type: expect_compound_columns_to_be_unique   # a GX expectation in snake_case, or a built-in kind
        kwargs: {column_list: [date, asset, exchange]}
        severity: error                 # error | warning
        scope: table                    # table (default) | day (only the run date's rows)
        id: key                         # optional; defaults to the columns named in kwargs

Built-in kinds, turned into GX expectations with bounds computed at run time:
    freshness             kwargs {column, max_age_hours | max_age_days}
    row_count_vs_previous kwargs {days: 7, min_ratio, max_ratio}
    caps_by_group         kwargs {column, group_column, caps: {group: cap}}
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)
SUITES_DIR = Path(__file__).resolve().parent / "suites"
SEVERITIES = ("error", "warning")
PHASES = ("raw", "figures")  # the schemas GX checks: landed data before dbt, published figures after
SCOPES = ("table", "day")
BUILTINS = ("freshness", "row_count_vs_previous", "caps_by_group")


class SuiteError(ValueError):
    """A suite file is malformed."""


@dataclass(frozen=True)
class Check:
    type: str
    kwargs: dict[str, Any]
    severity: str
    scope: str
    id: str

    @property
    def name(self) -> str:
        """What the results table calls this check: stable across runs as long as the YAML is."""
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class Suite:
    name: str
    table: str
    date_column: str | None
    derived: dict[str, str]
    checks: tuple[Check, ...]

    @property
    def schema(self) -> str:
        return self.table.partition(".")[0]


def _default_id(kwargs: dict[str, Any]) -> str:
    for key in ("column", "column_list", "column_set"):
        if key in kwargs:
            value = kwargs[key]
            return value if isinstance(value, str) else ("columns" if key == "column_set" else ",".join(value))
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs.get('column_B')}"
    return "table"


def parse_suite(name: str, doc: Any, where: str = "") -> Suite:
    where = where or name
    if not isinstance(doc, dict) or not isinstance(doc.get("table"), str):
        raise SuiteError(f"{where}: needs a 'table: schema.name'")
    date_column = doc.get("date_column")
    checks: list[Check] = []
    for i, item in enumerate(doc.get("expectations") or []):
        at = f"{where}: expectations[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise SuiteError(f"{at}: needs a 'type'")
        kwargs = dict(item.get("kwargs") or {})
        severity = item.get("severity", "error")
        scope = item.get("scope", "table")
        if severity not in SEVERITIES:
            raise SuiteError(f"{at}: severity must be one of {SEVERITIES}, got {severity!r}")
        if scope not in SCOPES:
            raise SuiteError(f"{at}: scope must be one of {SCOPES}, got {scope!r}")
        if (scope == "day" or item["type"] == "row_count_vs_previous") and not date_column:
            raise SuiteError(f"{at}: needs the suite's date_column")
        checks.append(Check(item["type"], kwargs, severity, scope, str(item.get("id") or _default_id(kwargs))))
    names = [c.name for c in checks]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise SuiteError(f"{where}: give these checks distinct ids: {', '.join(dupes)}")
    if not checks:
        raise SuiteError(f"{where}: no expectations")
    return Suite(name, doc["table"], date_column, dict(doc.get("derived") or {}), tuple(checks))


def load_suites(names: list[str] | None = None, suites_dir: Path | str = SUITES_DIR) -> list[Suite]:
    """Every suite in the directory (or the named ones), by file name without `.yml`."""
    files = {p.name[: -len(".yml")]: p for p in sorted(Path(suites_dir).glob("*.yml"))}
    if names:
        if missing := [n for n in names if n not in files]:
            raise SuiteError(f"unknown suite(s) {', '.join(missing)}; known: {', '.join(files)}")
        files = {n: files[n] for n in names}
    return [parse_suite(n, yaml.safe_load(p.read_text()), str(p)) for n, p in files.items()]


def suites_for(phase: str, suites_dir: Path | str = SUITES_DIR) -> list[Suite]:
    """The suites of one step of the run: `raw` (before dbt) or `figures` (after it)."""
    if phase not in PHASES:
        raise SuiteError(f"unknown phase {phase!r}; known: {', '.join(PHASES)}")
    suites = load_suites(suites_dir=suites_dir)
    if stray := sorted(s.name for s in suites if s.schema not in PHASES):
        log.warning("suites on neither raw nor figures tables are not run: %s; a mart's columns, keys and ranges "
                    "are dbt tests (dbt_project/models/marts/*.yml)", ", ".join(stray))
    return [s for s in suites if s.schema == phase]
