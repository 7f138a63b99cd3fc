"""The venues' public websockets: liquidation streams replayed from the simulated market.

Each venue module here (binance, bybit, okx, bitmex, deribit) speaks its venue's real protocol on the
venue's real path (mounted under /<venue> like the HTTP routes): subscribe and ack, keepalive, the
venue's message shapes. `sandbox.streams.hub` holds the connections and the stream timeline:

- by default the timeline is the sandbox clock: an event is pushed when the clock passes its time
  (frozen clock: nothing flows; `rate` 60: a minute per second);
- `POST /_sandbox/ws/replay {"start", "rate", "wall_epoch"?, "end"?}` replays the market from `start` at
  `rate` x speed, anchored to a wall-clock epoch so a client can run the very same clock
  (sim = start + max(0, time.time() - wall_epoch) * rate); `DELETE /_sandbox/ws/replay` goes back to the clock.

Control (tests, demo): `POST /_sandbox/ws/disconnect {"venue", "mode": "abort"|"close"}` drops every
connection of a venue (abort: no close frame, like a network cut); `GET /_sandbox/ws` lists connections.
"""
from __future__ import annotations

from sandbox.streams.hub import HUB_KEY, Hub, register_control, ws_handler

__all__ = ["HUB_KEY", "Hub", "register_control", "ws_handler"]
