"""The control API of a running sandbox, over HTTP: what tests, the demo and the bench may steer.

Every endpoint under /_sandbox/ has a method here, so nothing outside the sandbox builds control paths
or bodies by hand. `SandboxServer` (in-process thread) and `SandboxHandle` (child process) are both
clients; `control()` is the one generic entry point, kept public for an endpoint added before its method.

    GET  /_sandbox/health                          health()
    POST /_sandbox/clock                           set_clock(now, rate)
    GET/POST/DELETE /_sandbox/faults               faults(), add_fault(...), add_faults([...]), clear_faults()
    POST /_sandbox/ws/replay, DELETE               replay_streams(start, rate, ...), stop_replay()
    GET  /_sandbox/ws, POST /_sandbox/ws/disconnect  stream_connections(), disconnect_streams(venue)
    POST/DELETE /_sandbox/aggregators              set_aggregators({...}), clear_aggregators()
    POST/DELETE /_sandbox/chains                   set_chains({...}), clear_chains()

The endpoints themselves are documented where they are served: sandbox.control, sandbox.streams,
sandbox.aggregators, sandbox.chains.
"""
from __future__ import annotations

import datetime as dt
import json
import urllib.request
from typing import Any


def _iso(value: str | dt.datetime) -> str:
    if not isinstance(value, dt.datetime):
        return value
    return value.isoformat() if value.tzinfo is None else value.astimezone(dt.UTC).isoformat()


class SandboxClient:
    url: str  # base URL, no trailing slash

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """One request to a /_sandbox/ endpoint; the decoded JSON answer (None when empty)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:  # nosec B310 - the sandbox's own loopback URL
            raw = resp.read()
        return json.loads(raw) if raw else None

    def health(self) -> dict:
        return self.control("GET", "/_sandbox/health")

    def healthy(self) -> bool:
        try:
            self.health()
            return True
        except OSError:
            return False

    def set_clock(self, now: str | dt.datetime, rate: float | None = None) -> dict:
        body: dict[str, Any] = {"now": _iso(now)}
        if rate is not None:
            body["rate"] = rate
        return self.control("POST", "/_sandbox/clock", body)

    # faults ---------------------------------------------------------------------------------------------
    def faults(self) -> list[dict]:
        return self.control("GET", "/_sandbox/faults")["faults"]

    def add_fault(self, venue: str, kind: str, count: int = 1, path: str | None = None,
                  params: dict[str, Any] | None = None, **more_params: Any) -> dict:
        """One fault (count -1: every matching request); its parameters as a dict or as keywords."""
        spec = {"venue": venue, "kind": kind, "count": count, "path": path,
                "params": {**(params or {}), **more_params}}
        return self.add_faults([spec])[0]

    def add_faults(self, specs: list[dict[str, Any]]) -> list[dict]:
        """Several faults in one request (they apply from the same instant); the created faults, with ids."""
        return self.control("POST", "/_sandbox/faults", {"faults": specs})["faults"] if specs else []

    def clear_faults(self) -> int:
        return self.control("DELETE", "/_sandbox/faults")["removed"]

    # websocket streams ---------------------------------------------------------------------------------
    def replay_streams(self, start: str | dt.datetime, rate: float, wall_epoch: float | None = None,
                       end: str | dt.datetime | None = None) -> dict:
        """Stream the market from `start` at `rate` x speed (sim = start + (time.time() - wall_epoch) * rate),
        holding at `end` if given; a client that shares `wall_epoch` runs the very same clock."""
        body: dict[str, Any] = {"start": _iso(start), "rate": rate}
        if wall_epoch is not None:
            body["wall_epoch"] = wall_epoch
        if end is not None:
            body["end"] = _iso(end)
        return self.control("POST", "/_sandbox/ws/replay", body)

    def stop_replay(self) -> Any:
        """Streams follow the sandbox clock again."""
        return self.control("DELETE", "/_sandbox/ws/replay")

    def stream_connections(self) -> list[dict]:
        """Open websocket connections: venue, subscriptions, messages sent, `caught_up_ms`."""
        return self.control("GET", "/_sandbox/ws")["connections"]

    def disconnect_streams(self, venue: str = "*", mode: str = "abort") -> int:
        """Drop a venue's connections (abort: no close frame, like a network cut); how many were dropped."""
        return self.control("POST", "/_sandbox/ws/disconnect", {"venue": venue, "mode": mode})["disconnected"]

    # aggregators and chains ----------------------------------------------------------------------------
    def set_aggregators(self, settings: dict[str, dict[str, Any]]) -> dict:
        """e.g. {"coinglass": {"diverge": 0.2}}: that aggregator reports every figure 20 % higher."""
        return self.control("POST", "/_sandbox/aggregators", settings)

    def clear_aggregators(self) -> dict:
        return self.control("DELETE", "/_sandbox/aggregators")

    def set_chains(self, settings: dict[str, dict[str, Any]]) -> dict:
        """e.g. {"eth_rpc_b": {"state_window": 128}}: that endpoint acts as a pruned node."""
        return self.control("POST", "/_sandbox/chains", settings)

    def clear_chains(self) -> dict:
        return self.control("DELETE", "/_sandbox/chains")
