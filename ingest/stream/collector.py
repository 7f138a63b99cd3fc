"""The collector service: one connection per source, reconnect with backoff, hourly files, gaps.

A source counts as listening from the moment the venue acknowledges the subscription until the
connection drops; every period in between (including a restart after a crash) is written to the gaps
log when listening resumes. While listening, each hour has a data file even if no liquidation came, so
"no file for an hour" means "not listening", never "quiet market".

An open, subscribed connection can still be deaf: the venue keeps it alive (pings, pongs, acks) and
feeds it nothing (Binance's unrouted /ws after the 2026 routing change does exactly that). For a channel
that always has traffic the source has a silence alarm (`Protocol.silence_for`): when no data message
came for that long, the connection is closed, the time since the last data message (or the ack) becomes
a gap (so those hours are not counted as heard), the collector reconnects, and the alarm stands in the
source's state file (`dwh status` shows it) until data flows again.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import threading
import time
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ingest.config import SourceConfig
from ingest.landing import new_run_id
from ingest.stream import protocols as P
from ingest.stream.clock import SystemClock, iso, parse_iso
from ingest.stream.gaps import SourceLog
from ingest.stream.writer import HourlyWriter, hour_start, recover_partials
from ingest.venues import ws_protocols

log = logging.getLogger(__name__)


class Rejected(RuntimeError):
    """The venue refused the subscription (a configuration problem, retried slowly)."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionClosed):
        rcvd = exc.rcvd
        return (f"connection closed by venue (code {rcvd.code}: {rcvd.reason or 'no reason'})" if rcvd
                else "connection lost (no close frame)")
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class SourceRunner:
    def __init__(self, collector: Collector, source: SourceConfig):
        self.c, self.source = collector, source
        self.proto = ws_protocols()[source.name]
        self.classify = self.proto.classify_for(source)
        self.silence = self.proto.silence_for(source)  # a bad configured value stops the start, loudly
        self.log = SourceLog(collector.root, source.name, collector.run_id)
        self.writer: HourlyWriter | None = None
        self.subscribed = False
        self.down_since: float | None = None
        self.down_reason = ""
        self.failures = 0
        self.last_error = ""
        self.connections = 0
        self.messages = 0
        self.conn_messages = 0  # on the current connection (a replay driver compares it with what was sent)
        self.last_rx_wall = time.monotonic()
        self.listening_hour: float | None = None  # the last hour given a data file while subscribed
        self.opened_at: float | None = None  # clock time the current connection opened
        self.last_traffic: float | None = None  # clock time of its last data message (or its ack)
        self.deaf: tuple[float, str] | None = None  # (silent since, reason) when the alarm closed it
        self.alarm: dict | None = None  # the standing alarm, until data flows again
        self.alarms = 0

    # --- lifecycle -----------------------------------------------------------------------------------------
    def start(self, now: float) -> None:
        self.log.lock()
        recovered = recover_partials(self.c.root, self.source.name)
        prev = self.log.previous_state()
        if prev:
            clean = prev.get("status") == "stopped"
            since = parse_iso(prev.get("stopped_at") or prev["alive_at"]) if clean else parse_iso(prev["alive_at"])
            self.down_reason = "collector stopped" if clean else \
                f"collector not running (no clean stop; last alive {prev['alive_at']})"
            if prev.get("down_since"):  # it was not listening already when it stopped or died
                since = min(since, parse_iso(prev["down_since"]))
                self.down_reason = f"{prev.get('down_reason') or 'not listening'}; then {self.down_reason}"
            self.down_since = since
            if recovered.files:
                self.down_reason += (f"; recovered {recovered.files} partial file(s), {recovered.lines} lines kept, "
                                     f"{recovered.dropped} torn dropped")
        self.log.write_state("running", now, down=self.down_state())

    def shutdown(self, now: float) -> None:
        if self.writer:
            self.writer.close()
            self.writer = None
        self.log.write_state("stopped", now, down=self.down_state())
        self.log.unlock()

    def down_state(self) -> tuple[float, str] | None:
        if self.down_since is None or self.subscribed:
            return None
        return self.down_since, self.down_reason or "not listening"

    def tick(self, now: float) -> None:
        if not self.writer:
            return
        if self.subscribed:
            # every hour the connection stayed up gets its file, even one the timer slept through
            # (a starved process, a fast replay): an empty file says "listening, nothing happened"
            current = hour_start(now)
            first = current if self.listening_hour is None else self.listening_hour + 3600
            for hour in range(int(first), int(current) + 1, 3600):
                self.writer.ensure(P.DATA_DATASET, float(hour))
            self.listening_hour = current
        self.writer.tick(now)

    # --- the connection loop -------------------------------------------------------------------------------
    def _up(self, now: float) -> None:
        self.subscribed = True
        if self.down_since is not None and now > self.down_since:
            reason = self.down_reason
            if self.failures:
                reason += f"; {self.failures} failed attempt(s), last: {self.last_error}"
            self.log.record_gap(self.down_since, now, reason)
            log.warning("%s: listening again, gap %s .. %s (%s)", self.source.name, iso(self.down_since),
                        iso(now), reason)
        self.down_since, self.down_reason, self.failures, self.last_error = None, "", 0, ""
        self.listening_hour = hour_start(now)
        self.writer.ensure(P.DATA_DATASET, now)

    def _down(self, now: float, reason: str, since: float | None = None) -> None:
        if self.subscribed:
            # a deaf connection stopped listening at its last data message, not when the alarm rang
            self.down_since, self.down_reason = (now if since is None else min(since, now)), reason
        else:
            if self.down_since is None:
                self.down_since, self.down_reason = self.c.started_at, f"could not subscribe: {reason}"
            self.failures += 1
            self.last_error = reason
        self.subscribed = False
        self.listening_hour = None

    async def _keepalive(self, ws) -> None:
        proto = self.proto
        if not proto.ping_text or not proto.ping_every:
            return
        last_ping = time.monotonic()
        while True:
            await asyncio.sleep(min(1.0, proto.ping_every))
            now = time.monotonic()
            idle_from = max(self.last_rx_wall, last_ping) if proto.ping_when_idle else last_ping
            if now - idle_from >= proto.ping_every:
                await ws.send(proto.ping_text)
                last_ping = now

    async def _watch(self, ws) -> None:
        """The silence alarm: close a connection that brought no data message (or no ack) for too long."""
        silence = self.silence
        while True:
            await asyncio.sleep(max(0.005, min(1.0, self.c.clock.wall_seconds(silence) / 4)))
            now = self.c.clock.now()
            since = self.last_traffic if self.subscribed and self.last_traffic is not None else self.opened_at
            if since is None or now - since < silence:
                continue
            what = "no data message" if self.subscribed else "no subscription ack"
            reason = (f"silent connection: {what} for {now - since:.0f}s (alarm after {silence:.0f}s), "
                      f"since {iso(since)}")
            self.deaf = (since, reason)
            self.alarms += 1
            self.alarm = {"since": iso(since), "raised_at": iso(now), "reason": reason}
            log.error("%s: %s; reconnecting", self.source.name, reason)
            await ws.close(code=1000, reason="silent")
            return

    async def _session(self, url: str) -> str:
        async with connect(url, proxy=None, open_timeout=10, ping_interval=20, ping_timeout=20, max_size=None,
                           user_agent_header="crypto-dwh-collector/0.1") as ws:
            self.opened_at, self.last_traffic, self.deaf = self.c.clock.now(), None, None
            for message in self.proto.subscribe(self.source):
                await ws.send(message)
            tasks = [asyncio.create_task(self._keepalive(ws))]
            if self.silence:
                tasks.append(asyncio.create_task(self._watch(ws)))
            try:
                async for raw in ws:
                    now = self.c.clock.now()
                    self.last_rx_wall = time.monotonic()
                    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
                    doc = P._json(text)
                    kind = self.classify(doc)
                    self.writer.write(P.dataset_for(kind), now, raw)
                    self.messages += 1
                    self.conn_messages += 1
                    if kind in P.TRAFFIC:
                        self.last_traffic = now
                        self.alarm = None
                    if kind == P.ACK and not self.subscribed:
                        self._up(now)
                        self.last_traffic = now  # silence is counted from the ack
                    elif kind == P.REJECT and not self.subscribed:
                        raise Rejected(text[:300])
                    answer = self.proto.reply(doc)
                    if answer:
                        await ws.send(answer)
            finally:
                for task in tasks:
                    task.cancel()
            if self.deaf:
                return self.deaf[1]
            return f"connection closed by venue (code {ws.close_code}: {ws.close_reason or 'no reason'})"

    async def run(self) -> None:
        attempt = 0
        url = self.proto.url(self.source)
        while True:
            self.connections += 1
            self.conn_messages = 0
            conn_id = f"{self.c.run_id}-{self.connections}"
            self.writer = HourlyWriter(self.c.root, self.source.name, conn_id, url,
                                       flush_every=self.c.flush_every, flush_seconds=self.c.flush_seconds)
            was_up = False
            try:
                log.info("%s: connecting %s (%s)", self.source.name, url, conn_id)
                reason = await self._session(url)
            except (OSError, ConnectionClosed, InvalidHandshake, InvalidURI, TimeoutError, Rejected) as exc:
                reason = _describe(exc)
            except Exception as exc:  # a service keeps serving: log it, count it as a drop, reconnect
                log.exception("%s: unexpected error", self.source.name)
                reason = f"unexpected error: {_describe(exc)}"
            finally:
                was_up = self.subscribed
                if self.writer:
                    self.writer.close()
                    self.writer = None
            deaf, self.deaf = self.deaf, None
            if deaf:  # however the close went, the alarm is why the connection ended
                reason = deaf[1]
            self._down(self.c.clock.now(), reason, since=deaf[0] if deaf else None)
            log.warning("%s: %s", self.source.name, reason)
            attempt = 0 if was_up else attempt + 1
            delay = min(self.c.max_backoff, self.c.base_backoff * 2 ** attempt)
            await asyncio.sleep(delay * (0.5 + random.random() / 2))  # reconnect jitter, not a secret  # nosec B311


class Collector:
    def __init__(self, sources: list[SourceConfig], root: Path, *, clock=None, until: float | None = None,
                 flush_every: int = 100, flush_seconds: float = 1.0, base_backoff: float = 0.5,
                 max_backoff: float = 30.0, progress_path: Path | None = None):
        unknown = [s.name for s in sources if s.name not in ws_protocols()]
        if unknown:
            raise ValueError(f"no websocket protocol for {unknown}; known: {sorted(ws_protocols())}")
        self.root, self.clock, self.until = Path(root), clock or SystemClock(), until
        self.flush_every, self.flush_seconds = flush_every, flush_seconds
        self.base_backoff, self.max_backoff = base_backoff, max_backoff
        self.run_id = new_run_id()
        self.started_at = self.clock.now()
        self.runners = [SourceRunner(self, s) for s in sources]
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ready = threading.Event()
        self.progress_path = Path(progress_path) if progress_path else None
        self._progress = None

    def stop(self) -> None:
        """Ask the collector to flush, close its files and return (safe from any thread)."""
        if self._loop and self._stop and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)

    async def _timer(self) -> None:
        last_state = 0.0
        while True:
            now = self.clock.now()
            for r in self.runners:
                r.tick(now)
            self._report(now)
            if time.monotonic() - last_state >= 1.0:
                for r in self.runners:
                    r.log.write_state("running", now, alarm=r.alarm, down=r.down_state())
                last_state = time.monotonic()
            if self.until is not None and now >= self.until:
                self._stop.set()
                return
            to_hour = self.clock.wall_seconds(hour_start(now) + 3600 - now)
            await asyncio.sleep(max(0.001, min(self.flush_seconds, to_hour + 0.0005)))

    def _report(self, now: float) -> None:
        """For a replay driver: the clock and the messages read on each current connection (no fsync)."""
        if not self.progress_path:
            return
        doc = {"now": now, "messages": {r.source.name: r.conn_messages for r in self.runners},
               "subscribed": {r.source.name: r.subscribed for r in self.runners},
               "alarms": {r.source.name: r.alarms for r in self.runners},
               "window": list(getattr(self.clock, "window", ()))}
        if doc != self._progress:
            tmp = self.progress_path.with_name(self.progress_path.name + ".tmp")
            tmp.write_text(json.dumps(doc))
            os.replace(tmp, self.progress_path)
            self._progress = doc

    async def run(self, install_signals: bool = True) -> dict:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._stop.set)
        started = []
        try:
            for r in self.runners:
                r.start(self.started_at)
                started.append(r)
            tasks = [asyncio.create_task(r.run(), name=f"ws-{r.source.name}") for r in self.runners]
            tasks.append(asyncio.create_task(self._timer(), name="ws-timer"))
            self.ready.set()
            await self._stop.wait()
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            for task, result in zip(tasks, results):
                if isinstance(result, Exception) and not isinstance(result, asyncio.CancelledError):
                    log.error("%s ended with %r", task.get_name(), result)
        finally:
            now = self.clock.now()
            for r in started:
                r.shutdown(now)
        return {r.source.name: {"connections": r.connections, "messages": r.messages, "alarms": r.alarms}
                for r in self.runners}
