"""One HTTP session per source: timeouts, rate limit, retries with backoff, Retry-After, logging.

Every response (errors included) is handed to `on_response` before anything else happens to it, so
the landing zone keeps exactly what the venue said even when the run later gives up.
"""
from __future__ import annotations

import email.utils
import json
import logging
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
        self.interval = 1.0 / rate if rate > 0 else 0.0
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
    ):
        self.base_url = base_url.rstrip("/")
        self.source = source
        self.limiter = RateLimiter(requests_per_second)
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.max_retry_after_s = max_retry_after_s
        self.on_response = on_response
        self.stats = {"requests": 0, "retries": 0, "throttled": 0, "retry_after_waited_s": 0.0, "transport_errors": 0}
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
        params = {k: v for k, v in (params or {}).items() if v is not None}
        last_error = ""
        for attempt in range(1, self.max_attempts + 1):
            self.limiter.wait()
            started = time.time()
            self.stats["requests"] += 1
            try:
                resp = self._client.request(method, url, params=params or None, json=json_body)
                body = resp.content  # reads the whole body: a reset mid-body raises here
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s %s %s attempt %d failed: %s", self.source, method, url, attempt, last_error)
                self.stats["retries"] += 1
                self.stats["transport_errors"] += 1  # no response, so nothing landed for this attempt
                time.sleep(self._backoff(attempt))
                continue
            exchange = Exchange(method, redact_url(str(resp.request.url)), redact(params), json_body, resp.status_code,
                                body, started, time.time() - started, attempt)
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
