"""Many addresses, one rate-limited client: a small thread pool that reports its throughput.

The client's rate limiter is shared by the threads, so the pool only hides latency; it never
sends faster than the source's configured requests_per_second. One address failing does not stop
the others: every failure is collected, and the dataset fails at the end (its manifest says how
many), after everything that could be read has landed.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ingest.http import CircuitOpen, SourceError
from ingest.spec import FetchContext

T = TypeVar("T")


def concurrency(ctx: FetchContext, default: int = 4) -> int:
    return max(1, int(ctx.source.extra.get("concurrency", default)))


def run_each(ctx: FetchContext, items: Iterable[T], work: Callable[[T], Any], what: str) -> list[Any]:
    """Apply `work` to every item; log requests/s; raise SourceError naming the failures, if any."""
    items = list(items)
    started, before = time.monotonic(), ctx.client.stats["requests"]
    errors: list[tuple[T, str]] = []
    results: list[Any] = []
    unreachable: list[CircuitOpen] = []  # the breaker opened: the items left are not worth a thread each

    def guarded(item: T) -> None:
        if unreachable:
            return
        try:
            results.append(work(item))
        except CircuitOpen as exc:
            unreachable.append(exc)
        except SourceError as exc:
            errors.append((item, str(exc)))

    workers = min(concurrency(ctx), max(1, len(items)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{ctx.source.name}-{what}") as pool:
        list(pool.map(guarded, items))
    elapsed = max(time.monotonic() - started, 1e-9)
    requests = ctx.client.stats["requests"] - before
    throughput = {"items": len(items), "failed": len(errors), "requests": requests,
                  "unread": len(items) - len(results),
                  "seconds": round(elapsed, 3), "requests_per_second": round(requests / elapsed, 1),
                  "threads": workers}
    ctx.notes[what] = throughput
    ctx.log.info("%s %s %s: %d %s, %d requests in %.1fs (%.1f req/s, %d threads), %d failed", ctx.source.name,
                 what, ctx.day, len(items), what, requests, elapsed, requests / elapsed, workers, len(errors))
    if unreachable:
        raise SourceError(f"{ctx.source.name}: {len(items) - len(results)} of {len(items)} {what} unread: "
                          f"{unreachable[0]}",
                          transient=True) from unreachable[0]
    if errors:
        sample = "; ".join(f"{_label(item)}: {msg[:160]}" for item, msg in errors[:3])
        raise SourceError(f"{ctx.source.name}: {len(errors)} of {len(items)} {what} failed ({sample})",
                          transient=False)
    return results


def _label(item: object) -> str:
    # a batch is named by its size and first address: a hundred addresses would bury the reason
    if isinstance(item, (list, tuple)) and len(item) > 1:
        return f"batch of {len(item)} from {item[0]}"
    return str(item[0] if isinstance(item, (list, tuple)) and item else item)
