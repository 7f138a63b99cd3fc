"""What /_sandbox/chains sets: which Ethereum endpoints act as pruned nodes (see sandbox.chains)."""
from __future__ import annotations

import threading

from aiohttp import web

ETH_ENDPOINTS = ("eth_rpc_a", "eth_rpc_b")  # the mounts of sandbox.chains.eth_rpc_a/_b


class ChainSettings:
    """Per Ethereum endpoint: how many recent blocks of state it keeps (None: all of them, an archive node)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window: dict[str, int | None] = {}

    def state_window(self, name: str) -> int | None:
        with self._lock:
            return self._window.get(name)

    def update(self, body: dict) -> None:
        changes: dict[str, int | None] = {}
        for name, spec in body.items():
            if name not in ETH_ENDPOINTS or not isinstance(spec, dict) or set(spec) - {"state_window"}:
                raise ValueError(f"expected {{<{'|'.join(ETH_ENDPOINTS)}>: {{\"state_window\": int|null}}}}, "
                                 f"got {name!r}: {spec!r}")
            window = spec.get("state_window")
            if window is not None and (not isinstance(window, int) or isinstance(window, bool) or window < 1):
                raise ValueError(f"{name}: state_window must be a positive integer or null")
            changes[name] = window
        with self._lock:
            self._window.update(changes)

    def reset(self) -> None:
        with self._lock:
            self._window.clear()

    def as_dict(self) -> dict:
        with self._lock:
            return {name: {"state_window": self._window.get(name)} for name in ETH_ENDPOINTS}


SETTINGS_KEY = web.AppKey("chain_settings", ChainSettings)




def chain_settings(request: web.Request) -> ChainSettings | None:
    return request.config_dict.get(SETTINGS_KEY)
