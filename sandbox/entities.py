"""On-chain entity balances of the simulated world (model only; provider endpoints come later).

Two marked address sets:
- "htx_tron_reserve": Bitcoin addresses from the Tron/HTX BTC reserve list; their balances grow.
- "ethereum_foundation": Ethereum addresses of the Ethereum Foundation; their balances fall, in lumps.
The addresses are made-up but well-formed-looking strings (not real wallets), fixed for every seed so a
config file can list them; the balances depend on the seed. One address (DISPUTED_ADDRESS) is reported
differently by the two providers of its chain, so a cross-provider check has something to catch.
Balances are in coins (BTC, ETH) at the close of a day; any other address holds a small constant dust balance.
"""
from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

from sandbox import rng
from sandbox.market import DEMO_START

PROVIDERS = {"bitcoin": ("blockstream", "mempool"), "ethereum": ("etherscan", "blockscout")}
CHAIN_ASSET = {"bitcoin": "BTC", "ethereum": "ETH"}
_ADDRESS_SEED = 20261126  # addresses do not depend on the market seed
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
MODEL_START = DEMO_START - dt.timedelta(days=60)


def _btc_address(n: int) -> str:
    h = rng.hex_id(_ADDRESS_SEED, "btc-address", n, length=76)
    return "bc1q" + "".join(_BECH32[int(h[i:i + 2], 16) % 32] for i in range(0, 76, 2))


def _eth_address(n: int) -> str:
    return "0x" + rng.hex_id(_ADDRESS_SEED, "eth-address", n, length=40)


ENTITIES = {
    "htx_tron_reserve": {"chain": "bitcoin", "trend": "grow", "addresses": tuple(_btc_address(i) for i in range(6))},
    "ethereum_foundation": {"chain": "ethereum", "trend": "fall", "addresses": tuple(_eth_address(i) for i in range(4))},
}
DISPUTED_ADDRESS = ENTITIES["htx_tron_reserve"]["addresses"][2]
DISPUTED_FACTOR = 0.97  # the second provider misses part of that address (e.g. unconfirmed or unindexed outputs)


def entity_addresses(entity: str | None = None) -> list[tuple[str, str, str]]:
    """(entity, chain, address) of the marked sets, or of one of them."""
    return [(name, spec["chain"], a) for name, spec in ENTITIES.items() if entity in (None, name)
            for a in spec["addresses"]]


def _entity_of(chain: str, address: str) -> str | None:
    for name, spec in ENTITIES.items():
        if spec["chain"] == chain and address.lower() in (a.lower() for a in spec["addresses"]):
            return name
    return None


@lru_cache(maxsize=64)
def _path(seed: int, chain: str, address: str, trend: str) -> tuple[float, ...]:
    """Daily closing balances from MODEL_START for one marked address (iterated once, then cached)."""
    gen = rng.stream(seed, "balance", chain, address.lower())
    big = chain == "bitcoin"
    bal = gen.uniform(2_000, 15_000) if big else gen.uniform(20_000, 120_000)
    out = []
    for _ in range(400):
        if trend == "grow":  # steady inflows with the odd large deposit
            bal *= 1.0 + gen.uniform(0.001, 0.006) + (0.03 if gen.random() < 0.05 else 0.0)
        elif gen.random() < 0.25:  # outflows in lumps on some days, nothing on the others
            bal *= 1.0 - gen.uniform(0.01, 0.05)
        out.append(round(bal, 8))
    return tuple(out)


def balance(seed: int, chain: str, address: str, day: dt.date, provider: str) -> float:
    """Balance (coins) of an address at the close of `day` as `provider` reports it."""
    if provider not in PROVIDERS.get(chain, ()):
        raise ValueError(f"unknown provider {provider!r} for chain {chain!r}")
    entity = _entity_of(chain, address)
    if entity is None:
        return round(0.05 + 2.0 * rng.uniform(seed, "dust", chain, address.lower()), 8)
    i = min(max((day - MODEL_START).days, 0), 399)
    value = _path(seed, chain, address, ENTITIES[entity]["trend"])[i]
    if address.lower() == DISPUTED_ADDRESS.lower() and provider == PROVIDERS[chain][1]:
        value = round(value * DISPUTED_FACTOR, 8)
    return value


def entity_balance(seed: int, entity: str, day: dt.date, provider: str | None = None) -> float:
    """Sum over an entity's addresses (first provider of the chain unless told)."""
    spec = ENTITIES[entity]
    provider = provider or PROVIDERS[spec["chain"]][0]
    return math.fsum(balance(seed, spec["chain"], a, day, provider) for a in spec["addresses"])
