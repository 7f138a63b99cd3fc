"""One HTTP session per source: timeouts, rate limit, retries with backoff, Retry-After, logging.

Every response (errors included) is handed to `on_response` before anything else happens to it, so
the landing zone keeps exactly what the venue said even when the run later gives up.

A host that stops answering at the connection level (DNS failure, connection refused or reset,
timeout) trips the source's circuit breaker after a few consecutive such failures: every later
request of the run to that host fails at once with the cause (`CircuitOpen`), so an outage or a
firewall ends the source's task in about a minute instead of retrying each of its requests (1,366
on-chain addresses of one provider) for hours. Any HTTP answer, 429 and 5xx included, proves the host
reachable and resets the count: those are the venue speaking, handled by the retries and Retry-After.
"""
from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

log = logging.getLogger(__name__)
# httpx logs every URL with its query string at INFO; a key passed as a parameter would leak there.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

RETRY_STATUS = {429, 500, 502, 503, 504}
SECRET_MARKERS = ("key", "secret", "token", "signature", "passphrase", "password")


class SourceError(RuntimeError):
    """A source could not deliver: retries exhausted or a permanent error answer."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class CircuitOpen(SourceError):
    """The host failed at the connection level too many times in a row: not asked again this run."""

    def __init__(self, source: str, host: str, failures: int, cause: str):
        super().__init__(f"{source}: {host} unreachable ({failures} consecutive connection failures, last: "
                         f"{cause}); its remaining requests of this run were not sent", transient=True)
        self.source, self.host, self.failures, self.cause = source, host, failures, cause


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


@dataclass
class Exchange:
    """One request and what came back, as landed."""

    method: str
    url: str
    params: dict[str, Any]
    json_body: Any
    status: int
    body: bytes
    fetched_at: float
    elapsed_s: float
    attempt: int
    # the venue's own clock (the response's Date header, RFC 9110 §6.6.1), epoch seconds; None when it
    # sent none. Retention windows are the venue's, so what a page provably covers is judged on its clock.
    server_date: float | None = None


def redact(mapping: dict[str, Any] | None) -> dict[str, Any]:
    """Hide anything that looks like a credential before it reaches a log or the landing zone."""
    return {
        k: ("***" if any(m in k.lower() for m in SECRET_MARKERS) else v) for k, v in (mapping or {}).items()
    }


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode(list(redact(dict(parse_qsl(parts.query, keep_blank_values=True))).items()), safe="*")
    return urlunsplit(parts._replace(query=query))


class RateLimiter:
    """Spaces requests at most `rate` per second (shared by the threads of one client)."""

    def __init__(self, rate: float):
        # A rate of 0 or less used to mean "no limit": a typo in the sources file then hammered the venue.
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not math.isfinite(rate) or rate <= 0:
            raise ValueError(f"requests_per_second must be a finite number > 0, got {rate!r}")
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)

    def pause(self, seconds: float) -> None:
        """After a 429 every caller waits, not just the one that was told."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def server_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


class HttpClient:
    def __init__(
        self,
        base_url: str,
        *,
        source: str,
        requests_per_second: float = 5.0,
        timeout_s: float = 10.0,
        max_attempts: int = 6,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        max_retry_after_s: float = 120.0,
        headers: dict[str, str] | None = None,
        on_response: Callable[[Exchange], None] | None = None,
        breaker: CircuitBreaker | None = None,
        breaker_threshold: int = 4,
    ):
        self.base_url = base_url.rstrip("/")
        self.source = source
        self.limiter = RateLimiter(requests_per_second)
        self.breaker = breaker or CircuitBreaker(source, breaker_threshold)
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.max_retry_after_s = max_retry_after_s
        self.on_response = on_response
        self.stats = {"requests": 0, "retries": 0, "throttled": 0, "retry_after_waited_s": 0.0, "transport_errors": 0}
        self.last_server_time: float | None = None  # the venue's clock at the last answer (Date header)
        self._client = httpx.Client(timeout=timeout_s, headers=headers or {}, follow_redirects=True)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)  # retry jitter, not a secret  # nosec B311

    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
        base_url: str | None = None,
    ) -> Exchange:
        """Send until a non-retryable answer arrives; raise SourceError when attempts run out."""
        url = (base_url.rstrip("/") if base_url else self.base_url) + path
        host = urlsplit(url).netloc
        params = {k: v for k, v in (params or {}).items() if v is not None}
        last_error = ""
        for attempt in range(1, self.max_attempts + 1):
            self.breaker.check(host)  # before the limiter: a dead host's requests take no rate slots
            self.limiter.wait()
            started = time.time()
            self.stats["requests"] += 1
            try:
                resp = self._client.request(method, url, params=params or None, json=json_body)
                body = resp.content  # reads the whole body: a reset mid-body raises here
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s %s %s attempt %d failed: %s", self.source, method, url, attempt, last_error)
                self.stats["transport_errors"] += 1  # no response, so nothing landed for this attempt
                opened = self.breaker.failure(host, last_error)
                if opened is not None:
                    raise opened
                self.stats["retries"] += 1
                time.sleep(self._backoff(attempt))
                continue
            self.breaker.success(host)
            exchange = Exchange(method, redact_url(str(resp.request.url)), redact(params), json_body, resp.status_code,
                                body, started, time.time() - started, attempt, server_date(resp.headers.get("Date")))
            self.last_server_time = exchange.server_date
            if self.on_response:
                self.on_response(exchange)
            if resp.status_code not in RETRY_STATUS:
                return exchange
            last_error = f"HTTP {resp.status_code}: {body[:200]!r}"
            wait = self._backoff(attempt)
            if resp.status_code == 429:
                self.stats["throttled"] += 1
                told = retry_after_seconds(resp.headers.get("Retry-After"))
                if told is not None:
                    if told > self.max_retry_after_s:
                        raise SourceError(f"{self.source}: told to retry after {told:.0f}s, more than allowed")
                    wait = told
                    self.stats["retry_after_waited_s"] += told
                self.limiter.pause(wait)
            log.warning("%s %s %s -> %s (attempt %d), retrying in %.2fs", self.source, method, url,
                        resp.status_code, attempt, wait)
            self.stats["retries"] += 1
            time.sleep(wait)
        raise SourceError(f"{self.source}: {method} {path} failed after {self.max_attempts} attempts: {last_error}",
                          transient=True)

    def get_json(self, path: str, params: dict[str, Any] | None = None, *, base_url: str | None = None,
                 ok_statuses: tuple[int, ...] = (200,)) -> Any:
        return self._json("GET", path, params=params, base_url=base_url, ok_statuses=ok_statuses)

    def post_json(self, path: str, body: Any, *, base_url: str | None = None,
                  ok_statuses: tuple[int, ...] = (200,)) -> Any:
        return self._json("POST", path, json_body=body, base_url=base_url, ok_statuses=ok_statuses)

    def _json(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
              base_url: str | None = None, ok_statuses: tuple[int, ...] = (200,)) -> Any:
        # A truncated or garbled body is usually a broken transfer: ask again a few times, then give up.
        for attempt in range(1, 4):
            ex = self.request(method, path, params=params, json_body=json_body, base_url=base_url)
            if ex.status not in ok_statuses:
                raise SourceError(f"{self.source}: {method} {path} -> HTTP {ex.status}: {ex.body[:300]!r}")
            try:
                return json.loads(ex.body)
            except ValueError as exc:
                log.warning("%s %s %s: invalid JSON body (attempt %d): %s", self.source, method, path, attempt, exc)
                time.sleep(self._backoff(attempt))
        raise SourceError(f"{self.source}: {method} {path} kept answering invalid JSON", transient=True)
