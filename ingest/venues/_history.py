"""Helpers for the time-series endpoints of the market datasets (open interest, prices, options).

A day's state is read at its close, D+1 00:00 UTC, so open interest requests cover (D 00:00, D+1 00:00]:
the closing point belongs to D, and D 00:00 to the day before (its own run fetched it). Venues disagree on which end of a too-wide window they
answer from, so the day is cut into windows that each hold at most one page of points; every point
then comes back exactly once whatever the venue's habit.
"""
from __future__ import annotations

from collections.abc import Iterator

from ingest.http import SourceError

MS_HOUR = 3_600_000


def windows(start_ms: int, end_ms: int, step_ms: int, page: int) -> Iterator[tuple[int, int]]:
    """Disjoint inclusive [lo, hi] windows over [start_ms, end_ms], each holding at most `page` points
    of a grid spaced `step_ms` apart."""
    if page < 1 or step_ms < 1:
        raise ValueError("page and step must be positive")
    lo = start_ms
    while lo <= end_ms:
        hi = min(end_ms, lo + (page - 1) * step_ms)
        yield lo, hi
        lo = hi + 1


def require_points(source: str, what: str, count: int) -> None:
    """A history endpoint that answers nothing for a whole day is an outage, not a quiet day."""
    if count == 0:
        raise SourceError(f"{source}: {what} returned no points for the day")
