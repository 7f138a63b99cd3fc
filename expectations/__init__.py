"""Great Expectations suites (YAML under `suites/`) and their runner.

Importing this package is cheap: GX is imported only when a run validates.
"""
from expectations.runner import (
    RESULTS_TABLE,
    CheckResult,
    RunSummary,
    ValidationFailed,
    raise_on_errors,
    run_suites,
)
from expectations.suite import Check, Suite, SuiteError, load_suites

__all__ = [
    "RESULTS_TABLE", "Check", "CheckResult", "RunSummary", "Suite", "SuiteError", "ValidationFailed",
    "load_suites", "raise_on_errors", "run_suites",
]
