"""Run the data-quality suites for a day: one line per check; exit 1 if an error-severity check
failed or could not run, 2 if the run could not start (no warehouse, unknown or malformed suite)."""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from expectations.runner import run_suites
from expectations.suite import SuiteError
from ingest.config import warehouse_path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m expectations", description=__doc__)
    ap.add_argument("--date", required=True, type=dt.date.fromisoformat, help="run date, YYYY-MM-DD")
    ap.add_argument("--db", default=None, help="DuckDB file (default $DWH_DATA_DIR/warehouse.duckdb)")
    ap.add_argument("--suite", action="append", help="suite name (file name without .yml); repeatable")
    ap.add_argument("--docs-dir", default=None, help="Data Docs output (default $DWH_DATA_DIR/reports/gx_docs)")
    ap.add_argument("--no-write", action="store_true", help="do not write audit.data_quality_results")
    args = ap.parse_args(argv)

    try:
        summary = run_suites(args.db or warehouse_path(), args.date, suites=args.suite,
                             docs_dir=args.docs_dir, write_results=not args.no_write)
    except (FileNotFoundError, SuiteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = [(r.status, r.severity, r.suite, r.expectation, (r.observed_value or "")[:60]) for r in summary.results]
    header = ("status", "severity", "suite", "expectation", "observed")
    widths = [max(len(str(x[i])) for x in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)) + "  " + row[4])
    failures = summary.failures_by_severity
    print(f"\n{summary.run_date}: {summary.counts()} in {summary.seconds}s; "
          f"{len(failures['error'])} error(s), {len(failures['warning'])} warning(s)")
    if summary.warned_tables:
        print("unverified (failed warnings): " + ", ".join(summary.warned_tables))
    if summary.docs_index:
        print(f"data docs: {summary.docs_index.as_uri()}")
    return 1 if failures["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
