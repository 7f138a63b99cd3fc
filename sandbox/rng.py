"""Counter-based randomness for the simulated market.

Every draw is a pure function of (seed, keys): no hidden generator state, so any request can be answered
in any order and two servers with the same seed give the same bytes. Keys are turned into text with
`str`, so dates, ints and strings may be mixed freely.
"""
from __future__ import annotations

import hashlib
import math
import random

_SCALE = float(1 << 64)


def _digest(seed: int, keys: tuple) -> bytes:
    text = "\x1f".join([str(seed), *map(str, keys)])
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def uniform(seed: int, *keys: object) -> float:
    """A number in [0, 1) fixed by (seed, keys)."""
    return int.from_bytes(_digest(seed, keys)[:8], "big") / _SCALE


def normal(seed: int, *keys: object) -> float:
    """A standard normal draw fixed by (seed, keys) (Box-Muller on the two halves of one digest)."""
    d = _digest(seed, keys)
    u1 = (int.from_bytes(d[:8], "big") + 1) / (_SCALE + 1)  # never 0, so log() is safe
    u2 = int.from_bytes(d[8:], "big") / _SCALE
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def stream(seed: int, *keys: object) -> random.Random:
    """A private generator for drawing a whole batch (a day of minutes, a day of liquidations)."""
    return random.Random(int.from_bytes(_digest(seed, keys), "big"))


def hex_id(seed: int, *keys: object, length: int = 32) -> str:
    """A stable hex string, e.g. for order ids or fake addresses."""
    out, n = "", 0
    while len(out) < length:
        out += _digest(seed, (*keys, n)).hex()
        n += 1
    return out[:length]


def uuid_like(seed: int, *keys: object) -> str:
    """A stable id in the 8-4-4-4-12 shape BitMEX uses for orderID."""
    h = hex_id(seed, *keys, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
