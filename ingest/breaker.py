"""The per-source circuit breaker: consecutive connection-level failures per host.

A host that stops answering at the connection level (DNS failure, connection refused or reset,
timeout) trips the source's breaker after a few consecutive such failures: every later request of the
run to that host fails at once with the cause (`CircuitOpen`), so an outage or a firewall ends the
source's task in about a minute instead of retrying each of its requests (1,366 on-chain addresses of
one provider) for hours. Any HTTP answer, 429 and 5xx included, proves the host reachable and resets
the count: those are the venue speaking, handled by the retries and Retry-After.
"""
from __future__ import annotations

import logging
import threading

from ingest.errors import CircuitOpen

log = logging.getLogger("ingest.http")


class CircuitBreaker:
    """Consecutive connection-level failures per host of one source, shared by the source's clients
    and threads for one run (ingest.run.ingest_source makes one per run).

    Once open it stays open for the run: the run is a batch for one day, and its next attempt (a
    rerun, tomorrow's run) starts closed. No half-open probing: the requests left would drain while
    it is open anyway, so a probe could not save the day, only make the failure slower.
    """

    def __init__(self, source: str, threshold: int = 4):
        if threshold < 1:
            raise ValueError(f"{source}: breaker threshold must be >= 1, got {threshold}")
        self.source = source
        self.threshold = threshold
        self._failures: dict[str, int] = {}
        self._open: dict[str, CircuitOpen] = {}
        self._lock = threading.Lock()

    def check(self, host: str) -> None:
        with self._lock:
            opened = self._open.get(host)
        if opened is not None:  # a fresh exception per request: threads raise it at once, each its own
            raise CircuitOpen(opened.source, opened.host, opened.failures, opened.cause)

    def failure(self, host: str, cause: str) -> CircuitOpen | None:
        """Count one connection-level failure; the breaker's error once it is (or was) open."""
        with self._lock:
            opened = self._open.get(host)
            if opened is None:
                count = self._failures[host] = self._failures.get(host, 0) + 1
                if count < self.threshold:
                    return None
                opened = self._open[host] = CircuitOpen(self.source, host, count, cause)
                log.error("%s", opened)  # once per host and run, instead of a warning per request and retry
        return CircuitOpen(opened.source, opened.host, opened.failures, opened.cause)

    def success(self, host: str) -> None:
        with self._lock:
            if host not in self._open:
                self._failures[host] = 0

    @property
    def opened(self) -> dict[str, str]:
        """host -> why, for the run manifest."""
        with self._lock:
            return {host: str(exc) for host, exc in self._open.items()}
