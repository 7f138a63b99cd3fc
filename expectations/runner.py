"""Run the YAML suites against the warehouse with Great Expectations and record one row per check.

Three phases, so the warehouse is never held longer than needed:
1. read: one read_only DuckDB connection; per suite, the table's schema, the bounds of the built-in
   checks, and one pandas frame per slice (whole table / run date's rows / rows up to the run date),
   holding only the columns the checks name;
2. validate: GX pandas datasource (SQL datasources on duckdb_engine fail in GX 1.24), one asset per
   table, one batch and GX suite per slice, in an ephemeral context whose suites and results are stored
   under the data dir so Data Docs build (see `_context`);
3. write: one write connection, DELETE + INSERT of the run date's rows for the suites run, in one
   transaction, into `audit.data_quality_results`.

The pipeline runs the suites twice a day: on the raw tables before dbt builds anything (`validate`), and on
the published figures after it (`validate_figures`). Mart-level invariants are dbt's own tests; dbt reads
these results back as its `audit` source, downstream of nothing it builds.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from expectations.suite import Check, Suite, load_suites
from ingest import warehouse
from ingest.config import data_dir

log = logging.getLogger(__name__)

RESULTS_SCHEMA = "audit"
RESULTS_TABLE = f"{RESULTS_SCHEMA}.data_quality_results"
RESULTS_DDL = f"""
CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} (
    run_date       DATE      NOT NULL,
    suite          VARCHAR   NOT NULL,
    expectation    VARCHAR   NOT NULL,
    "table"        VARCHAR   NOT NULL,
    status         VARCHAR   NOT NULL CHECK (status IN ('passed', 'failed', 'skipped', 'error')),
    observed_value VARCHAR,
    severity       VARCHAR   NOT NULL CHECK (severity IN ('error', 'warning')),
    checked_at     TIMESTAMPTZ NOT NULL,
    details        JSON
)"""
DOCS_SITE = "dwh"
# Expectations that need only the table's columns and their types: validated on a zero-row frame of
# the whole table, so they never read data and see no derived columns.
SCHEMA_TYPES = {
    "expect_column_to_exist", "expect_table_columns_to_match_set", "expect_table_columns_to_match_ordered_list",
    "expect_table_column_count_to_equal", "expect_table_column_count_to_be_between", "expect_column_type_to_be",
}
COLUMN_KEYS = ("column", "column_A", "column_B", "column_list", "group_column")


@dataclass(frozen=True)
class CheckResult:
    run_date: dt.date
    suite: str
    expectation: str
    table: str
    status: str  # passed | failed | skipped | error
    observed_value: str | None
    severity: str  # error | warning
    checked_at: dt.datetime
    details: dict[str, Any]

    @property
    def bad(self) -> bool:
        return self.status in ("failed", "error")


@dataclass
class RunSummary:
    run_date: dt.date
    results: list[CheckResult]
    docs_index: Path | None = None
    seconds: float = 0.0

    @property
    def failures_by_severity(self) -> dict[str, list[CheckResult]]:
        """Failed checks, and checks that could not be evaluated ('error' status), by severity."""
        out: dict[str, list[CheckResult]] = {"error": [], "warning": []}
        for r in self.results:
            if r.bad:
                out[r.severity].append(r)
        return out

    @property
    def warned_tables(self) -> list[str]:
        """Tables with a failed warning: figures built on them are to be marked 'unverified'."""
        return sorted({r.table for r in self.failures_by_severity["warning"]})

    @property
    def failed_tables(self) -> list[str]:
        return sorted({r.table for r in self.failures_by_severity["error"]})

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


class ValidationFailed(RuntimeError):
    def __init__(self, summary: RunSummary):
        self.summary = summary
        errors = summary.failures_by_severity["error"]
        shown = "; ".join(f"{r.suite} {r.expectation} ({r.status}: {r.observed_value})" for r in errors[:10])
        super().__init__(f"{len(errors)} error-severity check(s) failed for {summary.run_date}: {shown}")


def raise_on_errors(summary: RunSummary) -> RunSummary:
    """Raise `ValidationFailed` if an error-severity check failed or could not run; warnings pass."""
    if summary.failures_by_severity["error"]:
        raise ValidationFailed(summary)
    return summary


def default_docs_dir() -> Path:
    return data_dir() / "reports" / "gx_docs"


def run_suites(
    db_path: str | Path,
    run_date: dt.date | str,
    suites: list[str] | list[Suite] | None = None,
    docs_dir: str | Path | None = None,
    write_results: bool = True,
    enabled: list[Any] | None = None,
) -> RunSummary:
    """Validate the suites (names, Suite objects, or all under expectations/suites) for run_date.

    `enabled`: the enabled sources (ingest.config.SourceConfig); by default the sources file's. A suite
    whose table no enabled source feeds is skipped, its reason in every row (`unfed_reason`)."""
    started = time.monotonic()
    day = run_date if isinstance(run_date, dt.date) else dt.date.fromisoformat(str(run_date)[:10])
    if suites and all(isinstance(s, Suite) for s in suites):
        suite_list: list[Suite] = list(suites)  # type: ignore[arg-type]
    else:
        suite_list = load_suites(list(suites) if suites else None)  # type: ignore[arg-type]
    if not Path(db_path).exists():
        raise FileNotFoundError(f"no warehouse at {db_path}")

    con = warehouse.connect(db_path, read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ -> UTC-aware pandas, day bounds in UTC
        sources = enabled if enabled is not None else _enabled_sources()
        plans = [_plan(con, s, day, unfed_reason(s.table, sources)) for s in suite_list]
    finally:
        con.close()

    checked_at = dt.datetime.now(dt.UTC)
    docs = Path(docs_dir) if docs_dir else default_docs_dir()
    outcomes, index = _validate(plans, docs, day, checked_at)
    results = []
    for p in plans:
        for u in p.units:
            status, observed, details = outcomes.get(
                (p.suite.name, u.name), ("error", "GX returned no result for this check", {}))
            results.append(CheckResult(day, p.suite.name, u.name, p.suite.table, status, observed,
                                       u.check.severity, checked_at, {**details, **u.details}))
    summary = RunSummary(day, results, index)
    if write_results:
        write_results_to(db_path, day, [s.name for s in suite_list], results)
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


# --- which tables the configured sources feed ---------------------------------------------------


def _enabled_sources() -> list[Any]:
    from ingest.config import enabled_sources

    return enabled_sources()


def unfed_reason(table: str, sources: list[Any]) -> str | None:
    """Why no check of `table` can mean anything today, or None when an enabled source feeds it: a raw
    table of a disabled source stays empty by design, and failing its checks would only say so again."""
    schema, _, name = table.partition(".")
    if schema == "raw" and "__" in name:
        source = name.split("__", 1)[0]
        if source not in {s.name for s in sources}:
            return f"source {source} is not enabled"
    return None


# --- read phase ---------------------------------------------------------------------------------


@dataclass
class _Unit:
    """One GX expectation to evaluate (a check expands into several for caps_by_group)."""
    check: Check
    name: str
    slice: str = "table"
    gx_type: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    outcome: tuple[str, str | None] | None = None  # set when decided before GX (skipped / error)


@dataclass
class _Plan:
    suite: Suite
    units: list[_Unit]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qtable(table: str) -> str:
    return ".".join(_q(p) for p in table.split("."))


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str] | None:
    schema, _, name = table.rpartition(".")
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema or "main", name],
    ).fetchall()
    return dict(rows) if rows else None


def _bound(value: dt.datetime, sql_type: str) -> pd.Timestamp:
    # DuckDB hands DATE and TIMESTAMP to pandas as naive datetimes, TIMESTAMPTZ as UTC-aware ones;
    # the bound must match or pandas refuses to compare.
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if sql_type.upper().startswith("TIMESTAMP WITH TIME ZONE") else ts


def _expand(con: duckdb.DuckDBPyConnection, suite: Suite, check: Check, cols: dict[str, str],
            day: dt.date) -> list[_Unit]:
    kw = check.kwargs
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1)
    if check.type == "freshness":
        col = kw["column"]
        if col not in cols:
            raise KeyError(f"column {col!r} not in {suite.table}")
        age = dt.timedelta(hours=kw["max_age_hours"]) if "max_age_hours" in kw else dt.timedelta(days=kw["max_age_days"])
        # A DATE names its whole day, so its age counts from the run date; a timestamp's from the day's close.
        ref = start if cols[col].upper() == "DATE" else end
        # Only rows up to the close of the run date count, so a backfill is judged as of its own day.
        return [_Unit(check, check.name, f"upto_{col}", "expect_column_max_to_be_between",
                      {"column": col, "min_value": _bound(ref - age, cols[col])},
                      {"reference": ref.isoformat(), "max_age": str(age)})]
    if check.type == "row_count_vs_previous":
        days = int(kw.get("days", 7))
        dc = _q(suite.date_column)  # type: ignore[arg-type]
        counts = [n for (n,) in con.execute(
            f"SELECT count(*) FROM {_qtable(suite.table)} WHERE {dc} >= ? AND {dc} < ? GROUP BY CAST({dc} AS DATE)",
            [start - dt.timedelta(days=days), start]).fetchall()]
        mean = sum(counts) / len(counts) if counts else None
        # Without history the check degrades to "the day has rows" rather than passing blindly.
        lo = math.ceil(mean * float(kw.get("min_ratio", 0.5))) if mean else 1
        hi = math.floor(mean * float(kw.get("max_ratio", 2.0))) if mean else None
        return [_Unit(check, check.name, "day", "expect_table_row_count_to_be_between",
                      {"min_value": lo, "max_value": hi},
                      {"previous_days_with_rows": len(counts), "previous_mean": mean})]
    if check.type == "caps_by_group":
        return [_Unit(check, f"{check.name}:{group}", check.scope, "expect_column_values_to_be_between",
                      {"column": kw["column"], "min_value": -float(cap), "max_value": float(cap),
                       "_where_equal": (kw["group_column"], group)})
                for group, cap in kw["caps"].items()]
    return [_Unit(check, check.name, "schema" if check.type in SCHEMA_TYPES else check.scope, check.type, dict(kw))]


def _needed(units: list[_Unit]) -> set[str]:
    out: set[str] = set()
    for u in units:
        for key in COLUMN_KEYS:
            value = u.kwargs.get(key)
            if isinstance(value, str):
                out.add(value)
            elif isinstance(value, (list, tuple)):
                out.update(value)
        if "_where_equal" in u.kwargs:
            out.add(u.kwargs["_where_equal"][0])
    return out


def _read_slice(con: duckdb.DuckDBPyConnection, suite: Suite, cols: dict[str, str], label: str,
                units: list[_Unit], day: dt.date) -> pd.DataFrame:
    if label == "schema":
        return con.execute(f"SELECT * FROM {_qtable(suite.table)} LIMIT 0").df()
    needed = _needed(units)
    select = [_q(c) for c in cols if c in needed]
    select += [f"({expr}) AS {_q(name)}" for name, expr in suite.derived.items() if name in needed]
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1)
    where, params = "", []
    if label == "day":
        dc = _q(suite.date_column)  # type: ignore[arg-type]
        where, params = f"WHERE {dc} >= ? AND {dc} < ?", [start, end]
    elif label.startswith("upto_"):
        where, params = f"WHERE {_q(label[5:])} < ?", [end]
    # A frame needs a column for GX to count rows when no check names one.
    sql = f"SELECT {', '.join(select) or '1 AS _row'} FROM {_qtable(suite.table)} {where}"
    return con.execute(sql, params).df()


def _plan(con: duckdb.DuckDBPyConnection, suite: Suite, day: dt.date, unfed: str | None = None) -> _Plan:
    if unfed:  # nothing configured feeds the table: its checks say so instead of failing on an empty table
        return _Plan(suite, [_Unit(c, c.name, outcome=("skipped", unfed)) for c in suite.checks])
    cols = _columns(con, suite.table)
    if cols is None:
        why = f"table {suite.table} does not exist"
        return _Plan(suite, [_Unit(c, c.name, outcome=("skipped", why)) for c in suite.checks])
    units: list[_Unit] = []
    for check in suite.checks:
        try:
            units += _expand(con, suite, check, cols, day)
        except Exception as exc:  # a broken check must not hide the others
            units.append(_Unit(check, check.name, outcome=("error", f"{type(exc).__name__}: {exc}")))
    plan = _Plan(suite, units)
    for label in sorted({u.slice for u in units if u.outcome is None}):
        members = [u for u in units if u.outcome is None and u.slice == label]
        try:
            plan.frames[label] = _read_slice(con, suite, cols, label, members, day)
        except Exception as exc:
            for u in members:
                u.outcome = ("error", f"reading {label} rows: {type(exc).__name__}: {exc}")
    return plan


# --- validate phase -----------------------------------------------------------------------------


def _gx_class(snake: str):
    import great_expectations as gx

    cls = getattr(gx.expectations, "".join(p.title() for p in snake.split("_")), None)
    if cls is None:
        raise ValueError(f"unknown expectation type {snake!r}")
    return cls


def _build(unit: _Unit, suite: Suite):
    from great_expectations.expectations.row_conditions import Column

    kwargs = {k: v for k, v in unit.kwargs.items() if k != "_where_equal"}
    if "_where_equal" in unit.kwargs:
        col, value = unit.kwargs["_where_equal"]
        kwargs["row_condition"] = Column(col) == value
    return _gx_class(unit.gx_type)(
        **kwargs, severity="critical" if unit.check.severity == "error" else "warning",
        meta={"dq_check": unit.name, "dq_suite": suite.name},
    )


def _outcome(r) -> tuple[str, str | None]:
    info = r.exception_info or {}
    # GX reports an exception either flat or keyed by the metric that raised it.
    flat = [info] if "raised_exception" in info else list(info.values())
    raised = [e for e in flat if isinstance(e, dict) and e.get("raised_exception")]
    if raised:
        return "error", str(raised[0].get("exception_message"))
    res = r.result or {}
    if "observed_value" in res:
        value = res["observed_value"]
        observed = json.dumps(value, default=str) if isinstance(value, (list, dict)) else str(value)
    elif res.get("unexpected_count") is not None:
        observed = f"{res['unexpected_count']} of {res.get('element_count')} unexpected"
        examples = [v for v in res.get("partial_unexpected_list") or [] if v is not None and v == v][:5]
        if examples:  # nulls make poor examples (NaN != NaN drops them)
            observed += f", e.g. {json.dumps(examples, default=str)}"
    else:
        observed = None
    return ("passed" if r.success else "failed"), observed


def _context(docs_dir: Path):
    """An ephemeral GX context whose suites and validation results are files under `$DWH_DATA_DIR/gx/`.

    Ephemeral, because a file context rewrites great_expectations.yml on every datasource, asset and batch
    definition added (over 200 times a run, more than half of the validate step); the datasource here is
    rebuilt from the suites each run anyway, so nothing in that file needs to outlive the run. The
    suites and results stay on disk in the layout a file context uses, because Data Docs render from those
    stores and drop from the index any page whose result is no longer in them: the history of earlier
    runs survives."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    root = data_dir() / "gx"

    def store(class_name: str, under: str | None = None) -> dict[str, Any]:
        backend = ({"class_name": "TupleFilesystemStoreBackend", "base_directory": str(root / under)} if under
                   else {"class_name": "InMemoryStoreBackend"})  # validation definitions: rebuilt each run, never read
        return {"class_name": class_name, "store_backend": backend}

    # Only this run's pages are rendered (resource_identifiers in _validate), and the index lists a bounded
    # history, so building the docs does not slow down as validation results pile up.
    site = {"class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "validation_results_limit": 1000},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)}}
    config = DataContextConfig(
        stores={"expectations_store": store("ExpectationsStore", "expectations"),
                "validation_results_store": store("ValidationResultsStore", "uncommitted/validations"),
                "checkpoint_store": store("CheckpointStore"),
                "validation_definition_store": store("ValidationDefinitionStore")},
        expectations_store_name="expectations_store", validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store", data_docs_sites={DOCS_SITE: site}, analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False))
    return gx.get_context(mode="ephemeral", project_config=config)


@dataclass
class _Batch:
    """One GX suite over one slice of one table: what a ValidationDefinition runs."""
    plan: _Plan
    label: str
    suite: Any  # gx.ExpectationSuite
    members: list[_Unit]

    @property
    def name(self) -> str:
        return f"{self.plan.suite.name}.{self.label}"


def _gx_suites(plans: list[_Plan], outcomes: dict, twin_of: dict) -> list[_Batch]:
    """A GX suite per read slice; checks GX cannot build are recorded as errors in `outcomes`."""
    import great_expectations as gx

    batches = []
    for p in plans:
        for label in p.frames:
            batch = _Batch(p, label, gx.ExpectationSuite(name=f"{p.suite.name}.{label}"),
                           [u for u in p.units if u.outcome is None and u.slice == label])
            twins: dict[str, str] = {}  # GX keeps one of two identical expectations: share its result
            for u in batch.members:
                try:
                    expectation = _build(u, p.suite)
                    sig = f"{type(expectation).__name__}:{json.dumps(expectation.configuration.kwargs, sort_keys=True, default=str)}"
                    if sig in twins:
                        twin_of[(p.suite.name, u.name)] = (p.suite.name, twins[sig])
                        continue
                    twins[sig] = u.name
                    batch.suite.add_expectation(expectation)
                except Exception as exc:  # bad kwargs or unknown type: report, keep going
                    outcomes[(p.suite.name, u.name)] = ("error", f"{type(exc).__name__}: {exc}", {})
            if batch.suite.expectations:
                batches.append(batch)
    return batches


def _datasource(context, batches: list[_Batch]):
    """The pandas datasource with every asset (one per table) and batch definition of the run, added in
    one call: added one by one, each addition re-serializes the context's whole configuration."""
    from great_expectations.datasource.fluent import PandasDatasource

    assets: dict[str, list[dict[str, str]]] = {}
    for b in batches:
        assets.setdefault(b.plan.suite.table, []).append({"name": b.name})
    # The batch id GX records in each result (details.kwargs.batch_id) is "<datasource>-<asset>".
    return context.data_sources.add_pandas(PandasDatasource(name="warehouse", assets=[
        {"name": table, "type": "dataframe", "batch_definitions": defs} for table, defs in assets.items()]))


def _validate(plans: list[_Plan], docs_dir: Path, day: dt.date, checked_at: dt.datetime) -> tuple[dict, Path | None]:
    """(suite, check name) -> (status, observed value, details); builds the Data Docs."""
    outcomes: dict[tuple[str, str], tuple[str, str | None, dict]] = {}
    twin_of: dict[tuple[str, str], tuple[str, str]] = {}
    for p in plans:
        for u in p.units:
            if u.outcome:
                outcomes[(p.suite.name, u.name)] = (*u.outcome, {})
    context = _context(docs_dir)  # first: it imports GX with analytics off
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    batches = _gx_suites(plans, outcomes, twin_of)
    source = _datasource(context, batches)
    built: set[Any] = set()  # a set: the docs builder tests every stored result's key against it
    for b in batches:
        p, label, frame = b.plan, b.label, b.plan.frames[b.label]
        batch_def = source.get_asset(p.suite.table).get_batch_definition(b.name)
        vd = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=b.name, data=batch_def, suite=context.suites.add_or_update(b.suite)))
        try:
            # Named by run date so Data Docs list validations per warehouse day, not per wall-clock time.
            result = vd.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY",
                            run_id=RunIdentifier(run_name=day.isoformat(), run_time=checked_at))
        except Exception as exc:
            for u in b.members:
                outcomes.setdefault((p.suite.name, u.name), ("error", f"{type(exc).__name__}: {exc}", {}))
            continue
        suite_id = ExpectationSuiteIdentifier(name=b.name)
        batch_id = next((r.expectation_config.kwargs.get("batch_id") for r in result.results), None)
        built |= {suite_id, ValidationResultIdentifier(suite_id, result.meta["run_id"], batch_id)}
        for r in result.results:
            name = r.expectation_config.meta["dq_check"]
            details = {"scope": label, "rows": len(frame), "gx_suite": b.name,
                       "kwargs": r.expectation_config.to_json_dict().get("kwargs"),
                       "result": r.to_json_dict().get("result")}
            outcomes[(p.suite.name, name)] = (*_outcome(r), details)
    for key, twin in twin_of.items():
        outcomes[key] = outcomes.get(twin, ("error", "its identical twin check returned no result", {}))
    try:
        context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=built)
    except Exception:  # the results are the contract; the docs are a view of them
        log.exception("building GX Data Docs into %s failed", docs_dir)
    index = docs_dir / "index.html"
    return outcomes, (index if index.exists() else None)


# --- write phase --------------------------------------------------------------------------------


def write_results_to(db_path: str | Path, day: dt.date, suite_names: list[str], results: list[CheckResult]) -> None:
    """Replace the run date's rows of these suites, atomically, so reruns are idempotent."""
    frame = pd.DataFrame(  # noqa: F841 (read by the INSERT below)
        [(r.run_date, r.suite, r.expectation, r.table, r.status, r.observed_value, r.severity,
          r.checked_at, json.dumps(r.details, default=str)) for r in results],
        columns=["run_date", "suite", "expectation", "table", "status", "observed_value", "severity",
                 "checked_at", "details"])
    con = warehouse.connect(db_path)
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {RESULTS_SCHEMA}")
        con.execute(RESULTS_DDL)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DELETE FROM {RESULTS_TABLE} WHERE run_date = ? AND list_contains(?, suite)",
                        [day, suite_names])
            con.execute(f"""INSERT INTO {RESULTS_TABLE} SELECT CAST(run_date AS DATE), suite, expectation, "table",
                status, observed_value, severity, checked_at, CAST(details AS JSON) FROM frame""")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
