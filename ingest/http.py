"""One HTTP session per source: a `requests.Session` whose retries are urllib3's `Retry`, and around them
what a venue client needs: a rate limit shared by the client's threads, a Retry-After that pauses all of
them, the landing of every answer, key redaction and a per-host circuit breaker (ingest.breaker).

Every response (errors included, and those urllib3 retries) is handed to `on_response` before anything
else happens to it, so the landing zone keeps exactly what the venue said even when the run later gives up.

urllib3's `Retry` decides what is retried and when: the budget (`max_attempts` sends in all), connection
errors, read timeouts and resets before the answer, 429/500/502/503/504 for GET and POST, exponential
backoff with jitter and a cap, Retry-After in seconds or as a date. `RetryPolicy` adds, through the two
hooks urllib3 gives a subclass (`increment` for each failed attempt, `sleep` before each re-send), what
the library cannot know: landing the answer it is about to throw away, the breaker's count, the pause a
429 imposes on every thread, and a rate-limit slot for the re-send.

One case stays outside urllib3: a body that breaks off after the headers. requests reads the body after
urllib3 has handed back the response, so urllib3's retries never see that failure (psf/requests#4568,
urllib3/urllib3#542); `get_json`/`post_json` ask again, as they do for a garbled body.
"""
from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from ingest.breaker import CircuitBreaker
from ingest.errors import BrokenTransfer, CircuitOpen, SourceError
from ingest.ratelimit import RateLimiter

__all__ = ["BrokenTransfer", "CircuitBreaker", "CircuitOpen", "Exchange", "HttpClient", "RateLimiter",
           "RetryPolicy", "SourceError", "redact", "redact_url", "server_date"]

log = logging.getLogger(__name__)
# urllib3 logs every request at DEBUG and each retry at WARNING with the URL's query string: a key passed
# as a parameter would leak there. The client logs its retries itself, redacted.
logging.getLogger("urllib3").setLevel(logging.ERROR)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
# Every POST this client sends is a read (JSON-RPC eth_getBalance and friends, Tron's wallet queries), so
# sending it again changes nothing; urllib3 retries only GET-like methods unless told.
RETRY_METHODS = frozenset({"GET", "POST"})
SECRET_MARKERS = ("key", "secret", "token", "signature", "passphrase", "password")
BODY_TRIES = 3  # a garbled or broken-off body: asked for this many times before the source is failed


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


def server_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _cause(exc: BaseException) -> str:
    """The failure underneath requests' and urllib3's wrappers, e.g. `NewConnectionError: ... refused`."""
    inner = exc.args[0] if isinstance(exc, requests.RequestException) and exc.args else exc
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        inner = inner.reason
    return f"{type(inner).__name__}: {inner}"


@dataclass
class _Call:
    """One request() in flight on a thread: what the retry hooks need to land and account its attempts.
    urllib3 runs the retries synchronously in the caller's thread, so a thread-local one is the call's."""

    method: str
    origin: str  # scheme://host[:port], to which urllib3's path-only URLs are relative
    host: str
    params: dict[str, Any]  # redacted
    json_body: Any
    sent_at: float = 0.0


class RetryPolicy(Retry):
    """urllib3's Retry for one HttpClient: the client's hooks run on each failed attempt and re-send."""

    client: HttpClient | None = None

    def new(self, **kw: Any) -> RetryPolicy:
        fresh = super().new(**kw)  # urllib3 makes a new Retry per attempt; the client goes with it
        fresh.client = self.client
        return fresh

    def increment(self, method: str | None = None, url: str | None = None,
                  response: BaseHTTPResponse | None = None, error: Exception | None = None,
                  _pool: Any = None, _stacktrace: Any = None) -> RetryPolicy:
        client, attempt = self.client, len(self.history) + 1
        if client is not None and error is not None:
            client._failed(attempt, url or "", error)  # raises CircuitOpen once the breaker opens
        if client is not None and response is not None:
            told = client._retry_after(self, response)
            if told is not None and told > client.max_retry_after_s:
                # as if retries ran out: urllib3 hands this answer back (raise_on_status=False), the client
                # lands it and gives up with the reason
                raise MaxRetryError(_pool, url or "", ResponseError(f"Retry-After {told:.0f}s"))
        fresh = super().increment(method, url, response, error, _pool, _stacktrace)
        if client is not None:
            if response is not None:
                client._answered_before_retry(attempt, url or "", response)
            client.stats["retries"] += 1
        return fresh

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        if self.client is None:
            super().sleep(response)
        else:
            self.client._before_resend(self, response)


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
        if max_attempts < 1:
            raise ValueError(f"{source}: max_attempts must be >= 1, got {max_attempts}")
        self.base_url = base_url.rstrip("/")
        self.source = source
        self.limiter = RateLimiter(requests_per_second)
        self.breaker = breaker or CircuitBreaker(source, breaker_threshold)
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.max_retry_after_s = max_retry_after_s
        self.on_response = on_response
        self.stats = {"requests": 0, "retries": 0, "throttled": 0, "retry_after_waited_s": 0.0, "transport_errors": 0}
        self.last_server_time: float | None = None  # the venue's clock at the last answer (Date header)
        self.retry = RetryPolicy(
            total=max_attempts - 1, allowed_methods=RETRY_METHODS, status_forcelist=RETRY_STATUS,
            backoff_factor=backoff_base_s, backoff_max=backoff_cap_s, backoff_jitter=backoff_base_s,
            respect_retry_after_header=True, raise_on_status=False)
        self.retry.client = self
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        adapter = HTTPAdapter(max_retries=self.retry, pool_maxsize=16)  # on-chain sources run up to 8 threads
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._local = threading.local()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
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
        parts = urlsplit(url)
        params = {k: v for k, v in (params or {}).items() if v is not None}
        call = self._local.call = _Call(method, f"{parts.scheme}://{parts.netloc}", parts.netloc, redact(params),
                                        json_body)
        self.breaker.check(call.host)  # before the limiter: a dead host's requests take no rate slots
        self.limiter.wait()
        self.stats["requests"] += 1
        call.sent_at = time.time()
        body, headers = None, None
        if json_body is not None:  # compact UTF-8, the bytes this client has always sent: fault filters match on them
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            headers = {"Content-Type": "application/json"}
        try:
            resp = self.session.request(method, url, params=params or None, data=body, headers=headers,
                                        timeout=self.timeout_s, stream=True)
        except requests.RequestException as exc:  # urllib3's retries ran out on connection-level failures
            raise SourceError(f"{self.source}: {method} {path} failed after {self.max_attempts} attempts: "
                              f"{_cause(exc)}", transient=True) from exc
        retries = getattr(resp.raw, "retries", None)
        attempt = len(retries.history) + 1 if retries is not None else 1
        with resp:
            try:
                answer = resp.content
            except requests.RequestException as exc:
                self._failed(attempt, resp.url, exc)
                raise BrokenTransfer(f"{self.source}: {method} {path}: the body broke off: {_cause(exc)}") from exc
        exchange = self._land(call, resp.url, resp.status_code, answer, resp.headers, attempt)
        if resp.status_code in RETRY_STATUS:
            told = self._retry_after(self.retry, resp.raw)
            if told is not None and told > self.max_retry_after_s:
                raise SourceError(f"{self.source}: told to retry after {told:.0f}s, more than allowed")
            raise SourceError(f"{self.source}: {method} {path} failed after {attempt} attempts: "
                              f"HTTP {resp.status_code}: {answer[:200]!r}", transient=True)
        return exchange

    # --- the hooks RetryPolicy calls, on the thread of the request ------------------------------------------

    def _failed(self, attempt: int, url: str, error: BaseException) -> None:
        """A connection-level failure: nothing landed for this attempt; counts towards the breaker."""
        call: _Call = self._local.call
        cause = _cause(error)
        full = url if "://" in url else call.origin + url
        log.warning("%s %s %s attempt %d failed: %s", self.source, call.method, redact_url(full), attempt, cause)
        self.stats["transport_errors"] += 1
        opened = self.breaker.failure(call.host, cause)
        if opened is not None:
            raise opened

    def _answered_before_retry(self, attempt: int, url: str, response: BaseHTTPResponse) -> None:
        call: _Call = self._local.call
        try:
            body = response.read(decode_content=True, cache_content=True)
        except (Urllib3Error, OSError) as exc:  # broke off mid-body: a transport failure, not an answer
            self._failed(attempt, url, exc)
            return
        self._land(call, call.origin + url, response.status or 0, body, response.headers, attempt)

    def _before_resend(self, retry: RetryPolicy, response: BaseHTTPResponse | None) -> None:
        call: _Call = self._local.call
        told = self._retry_after(retry, response) if response is not None else None
        wait = told or retry.get_backoff_time()
        if response is not None and response.status == 429 and not told:
            wait = max(wait, self.backoff_base_s)  # urllib3 retries the first time at once: a throttled venue needs a pause
        if response is not None:
            log.warning("%s %s %s -> %s (attempt %d), retrying in %.2fs", self.source, call.method,
                        redact_url(call.origin + (retry.history[-1].url or "")), response.status,
                        len(retry.history), wait)
        if told or (response is not None and response.status == 429):
            self.limiter.pause(wait)  # every thread of the client waits, not just the one that was told
            self.stats["retry_after_waited_s"] += told or 0.0
        elif wait > 0:
            time.sleep(wait)
        self.breaker.check(call.host)  # another thread may have found the host dead meanwhile
        self.limiter.wait()
        self.stats["requests"] += 1
        call.sent_at = time.time()

    @staticmethod
    def _retry_after(retry: Retry, response: BaseHTTPResponse) -> float | None:
        if not retry.respect_retry_after_header:
            return None
        try:
            return retry.get_retry_after(response)
        except InvalidHeader:  # neither seconds nor a date: back off as if none was sent
            return None

    def _land(self, call: _Call, url: str, status: int, body: bytes, headers: Mapping[str, str],
              attempt: int) -> Exchange:
        self.breaker.success(call.host)  # any answer proves the host reachable
        exchange = Exchange(call.method, redact_url(url), call.params, call.json_body, status, body, call.sent_at,
                            time.time() - call.sent_at, attempt, server_date(headers.get("Date")))
        self.last_server_time = exchange.server_date
        if status == 429:
            self.stats["throttled"] += 1
        if self.on_response:
            self.on_response(exchange)
        return exchange

    # --- JSON on top ---------------------------------------------------------------------------------------

    def get_json(self, path: str, params: dict[str, Any] | None = None, *, base_url: str | None = None,
                 ok_statuses: tuple[int, ...] = (200,)) -> Any:
        return self._json("GET", path, params=params, base_url=base_url, ok_statuses=ok_statuses)

    def post_json(self, path: str, body: Any, *, base_url: str | None = None,
                  ok_statuses: tuple[int, ...] = (200,)) -> Any:
        return self._json("POST", path, json_body=body, base_url=base_url, ok_statuses=ok_statuses)

    def _json(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
              base_url: str | None = None, ok_statuses: tuple[int, ...] = (200,)) -> Any:
        # A truncated, garbled or broken-off body is usually a broken transfer: ask again a few times, then give up.
        problem = ""
        for attempt in range(1, BODY_TRIES + 1):
            try:
                ex = self.request(method, path, params=params, json_body=json_body, base_url=base_url)
            except BrokenTransfer as exc:
                problem = "kept breaking off mid-body"
                log.warning("%s (try %d of %d)", exc, attempt, BODY_TRIES)
                time.sleep(self._backoff(attempt))
                continue
            if ex.status not in ok_statuses:
                raise SourceError(f"{self.source}: {method} {path} -> HTTP {ex.status}: {ex.body[:300]!r}")
            try:
                return json.loads(ex.body)
            except ValueError as exc:
                problem = "kept answering invalid JSON"
                log.warning("%s %s %s: invalid JSON body (attempt %d): %s", self.source, method, path, attempt, exc)
                time.sleep(self._backoff(attempt))
        raise SourceError(f"{self.source}: {method} {path} {problem}", transient=True)
