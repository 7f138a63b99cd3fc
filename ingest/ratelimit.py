"""Request pacing shared by the threads of one HTTP client, and the pause a 429 imposes on all of them."""
from __future__ import annotations

import math
import threading
import time


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
