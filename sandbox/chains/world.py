"""The on-chain world the provider endpoints answer from, built on the balance model of sandbox.entities.

Which addresses exist: the project's entity registry (dbt_project/seeds/entity_addresses.csv) plus the
model's own made-up address sets. The registry's "Tron/HTX BTC reserve" and "Ethereum Foundation" are
played by the model's `htx_tron_reserve` (grows) and `ethereum_foundation` (falls): the k-th registry
address takes the balance path of one of the model's addresses, the model's disputed address first, so
the reserve's first address is the one whose balance the second Bitcoin provider misreports. Every
other address holds the model's constant dust (Bitcoin, Ethereum) or, on Tron, a simulated TRX and
USDT balance (the model has no Tron).

Bitcoin history is generated to match the model exactly: a funding transaction the day before the
model starts, then on every day whose close differs one external transaction per address carrying
the difference, and on some days an internal transfer between two addresses of the same entity (the
external ones absorb it, so every close stays the model's). Blocks are 10 minutes apart; a
transaction belongs to the day of its block time. Ethereum blocks follow the 12-second slot clock
from the Merge with one slot in 40 missed; an address's balance changes once a day at a fixed time.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sandbox import entities, rng
from sandbox.market import MS_DAY, day_start_ms, to_ms

REGISTRY = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "entity_addresses.csv"
BOUND = {("Tron/HTX BTC reserve", "bitcoin"): "htx_tron_reserve",
         ("Ethereum Foundation", "ethereum"): "ethereum_foundation"}
CANONICAL = {"bitcoin": entities.PROVIDERS["bitcoin"][0], "ethereum": entities.PROVIDERS["ethereum"][0]}
FIRST_DAY = entities.MODEL_START - dt.timedelta(days=1)  # the funding transactions
LAST_DAY = entities.MODEL_START + dt.timedelta(days=399)  # the model is flat after this
SATS = 100_000_000
WEI_PER_SAT_UNIT = 10 ** 10  # the model keeps 8 decimals: 1e-8 ETH = 1e10 wei

# --- who is who ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def registry() -> tuple[tuple[str, str, str], ...]:
    """(entity, chain, address) rows of the project's registry, in file order (empty if absent)."""
    if not REGISTRY.exists():
        return ()
    with REGISTRY.open(newline="") as fh:
        return tuple((r["entity"], r["chain"], r["address"]) for r in csv.DictReader(fh))


def _norm(chain: str, address: str) -> str:
    return address.lower() if chain == "ethereum" else address


@lru_cache(maxsize=1)
def _groups() -> dict[tuple[str, str], tuple[str, tuple[tuple[str, str], ...]]]:
    """(chain, address) -> (group name, ((address, stand-in), ...)) for every address of a named set."""
    out: dict[tuple[str, str], tuple[str, tuple[tuple[str, str], ...]]] = {}
    for name, spec in entities.ENTITIES.items():
        members = tuple((_norm(spec["chain"], a), a) for a in spec["addresses"])
        for a, _ in members:
            out[(spec["chain"], a)] = (name, members)
    for (entity, chain), model in BOUND.items():
        slots = list(entities.ENTITIES[model]["addresses"])
        if entities.DISPUTED_ADDRESS in slots:
            slots.remove(entities.DISPUTED_ADDRESS)
            slots.insert(0, entities.DISPUTED_ADDRESS)
        addresses = [_norm(chain, a) for e, c, a in registry() if (e, c) == (entity, chain)]
        members = tuple((a, slots[k % len(slots)]) for k, a in enumerate(addresses))
        for a, _ in members:
            out[(chain, a)] = (entity, members)
    return out


def group_of(chain: str, address: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return _groups().get((chain, _norm(chain, address)), (address, ((_norm(chain, address), address),)))


def stand_in(chain: str, address: str) -> str:
    return dict(group_of(chain, address)[1])[_norm(chain, address)]


def close(seed: int, chain: str, address: str, day: dt.date, provider: str) -> float:
    """The model's close of `day` for the address, as `provider` (a model provider name) reports it."""
    if day < FIRST_DAY:
        return 0.0
    return entities.balance(seed, chain, stand_in(chain, address), min(day, LAST_DAY), provider)


@lru_cache(maxsize=1)
def _registered() -> frozenset[tuple[str, str]]:
    return frozenset((c, _norm(c, a)) for _, c, a in registry())


def in_registry(chain: str, address: str) -> bool:
    return (chain, _norm(chain, address)) in _registered()


# --- Bitcoin: blocks and transactions ------------------------------------------------------------------
BTC_T0_S = to_ms(FIRST_DAY) // 1000
BTC_H0 = 890_000
BLOCK_S = 600


def btc_block_of(t_s: int) -> tuple[int, int]:
    """The block that confirms something sent at t_s: (height, block time)."""
    n = -(-(t_s - BTC_T0_S) // BLOCK_S)
    return BTC_H0 + n, BTC_T0_S + n * BLOCK_S


def btc_tip(now_ms: int) -> tuple[int, int]:
    n = (now_ms // 1000 - BTC_T0_S) // BLOCK_S
    return BTC_H0 + n, BTC_T0_S + n * BLOCK_S


@dataclass(frozen=True)
class Leg:
    address: str
    value: int  # sats


@dataclass(frozen=True)
class BtcTx:
    txid: str
    height: int
    block_time: int
    vin: tuple[Leg, ...]  # spent outputs (prevouts)
    vout: tuple[Leg, ...]

    @property
    def fee(self) -> int:
        return sum(x.value for x in self.vin) - sum(x.value for x in self.vout)

    def delta(self, address: str) -> int:
        return sum(x.value for x in self.vout if x.address == address) - sum(
            x.value for x in self.vin if x.address == address)


def _external(seed: int, *keys: object) -> str:
    return "bc1q" + "".join("qpzry9x8gf2tvdw0s3jn54khce6mua7l"[int(c, 16) % 32]
                            for c in rng.hex_id(seed, "external", *keys, length=38))


def _txid(seed: int, *keys: object) -> str:
    return rng.hex_id(seed, "btc-tx", *keys, length=64)


def _sats(x: float) -> int:
    return int(round(x * SATS))


def _time_in_day(seed: int, day: dt.date, *keys: object) -> int:
    """Seconds into the day; one in six falls in the first half hour (what a 00:30 run must net out)."""
    u = rng.uniform(seed, "tx-time", day, *keys)
    span = 1800 if rng.uniform(seed, "tx-early", day, *keys) < 1 / 6 else 86400 - BLOCK_S - 60
    return 60 + int(u * (span - 60))


def _tx(seed: int, day: dt.date, offset_s: int, keys: tuple, vin: list[Leg], vout: list[Leg]) -> BtcTx:
    height, block_time = btc_block_of(to_ms(day) // 1000 + offset_s)
    return BtcTx(_txid(seed, *keys), height, block_time, tuple(vin), tuple(vout))


@lru_cache(maxsize=256)
def btc_group_txs(seed: int, group: str) -> dict[str, tuple[BtcTx, ...]]:
    """Every transaction of a group's addresses, newest first per address (computed once per group)."""
    members = _groups_by_name("bitcoin").get(group)
    if members is None:
        members = ((group, group),)
    addresses = [a for a, _ in members]
    txs: list[BtcTx] = []
    prev = {a: _sats(close(seed, "bitcoin", a, FIRST_DAY, CANONICAL["bitcoin"])) for a in addresses}
    for a in addresses:
        fee = 2_000
        txs.append(_tx(seed, FIRST_DAY, 3600, ("fund", a), [Leg(_external(seed, "fund", a), prev[a] + fee)],
                       [Leg(a, prev[a])]))
    day = FIRST_DAY + dt.timedelta(days=1)
    named = group in _groups_by_name("bitcoin")  # the others hold constant dust: nothing happens to them
    while named and day <= LAST_DAY:
        now = {a: _sats(close(seed, "bitcoin", a, day, CANONICAL["bitcoin"])) for a in addresses}
        internal = {a: 0 for a in addresses}
        gen = rng.stream(seed, "internal", group, day)
        if len(addresses) > 1 and gen.random() < 0.25:
            sender, receiver = gen.sample(addresses, 2)
            amount, fee = int(prev[sender] * gen.uniform(0.05, 0.2)), gen.randint(500, 5_000)
            keep = prev[sender] - amount - fee
            txs.append(_tx(seed, day, _time_in_day(seed, day, "internal", group), ("internal", group, day),
                           [Leg(sender, prev[sender])], [Leg(receiver, amount), Leg(sender, keep)]))
            internal[sender] -= amount + fee
            internal[receiver] += amount
        for a in addresses:
            ext = now[a] - prev[a] - internal[a]
            if ext == 0:
                continue
            offset, fee = _time_in_day(seed, day, "external", a), 1_000 + int(rng.uniform(seed, "fee", a, day) * 9_000)
            other = _external(seed, "cp", a, day)
            if ext > 0:
                vin, vout = [Leg(other, ext + fee)], [Leg(a, ext)]
            else:  # spend one big output, send the amount out, keep the change
                keep = max(prev[a] + internal[a] + ext, 0)
                vin, vout = [Leg(a, keep - ext)], [Leg(other, -ext - fee), Leg(a, keep)]
                if -ext <= fee:  # too small to pay its own fee: the entity pays it on top
                    vout = [Leg(other, -ext), Leg(a, keep)]
                    vin = [Leg(a, keep - ext), Leg(_external(seed, "fee", a, day), fee)]
            txs.append(_tx(seed, day, offset, ("external", a, day), vin, vout))
        prev = now
        day += dt.timedelta(days=1)
    out: dict[str, list[BtcTx]] = {a: [] for a in addresses}
    for tx in sorted(txs, key=lambda t: (t.height, t.txid), reverse=True):
        for a in {leg.address for leg in tx.vin + tx.vout} & set(addresses):
            out[a].append(tx)
    return {a: tuple(v) for a, v in out.items()}


@lru_cache(maxsize=4)
def _groups_by_name(chain: str) -> dict[str, tuple[tuple[str, str], ...]]:
    return {name: members for (c, _), (name, members) in _groups().items() if c == chain}


def btc_txs(seed: int, address: str, now_ms: int) -> tuple[BtcTx, ...]:
    """Confirmed transactions of an address as of now, newest first."""
    group = group_of("bitcoin", address)[0]
    now_s = now_ms // 1000
    return tuple(t for t in btc_group_txs(seed, group).get(address, ()) if t.block_time <= now_s)


def btc_stats(seed: int, address: str, now_ms: int, provider: str) -> dict[str, int]:
    """chain_stats as `provider` (model provider name) reports it at now."""
    txs = btc_txs(seed, address, now_ms)
    today = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).date()
    today_start = day_start_ms(today) // 1000
    settled = _sats(close(seed, "bitcoin", address, today - dt.timedelta(days=1), provider))
    balance = settled + sum(t.delta(address) for t in txs if t.block_time >= today_start)
    spent = sum(leg.value for t in txs for leg in t.vin if leg.address == address)
    return {"funded_txo_count": sum(1 for t in txs for leg in t.vout if leg.address == address),
            "funded_txo_sum": balance + spent,
            "spent_txo_count": sum(1 for t in txs for leg in t.vin if leg.address == address),
            "spent_txo_sum": spent, "tx_count": len(txs)}


# --- Ethereum: the slot clock and balances by block -----------------------------------------------------
MERGE_BLOCK = 15_537_394
MERGE_TIME_S = 1_663_224_179  # 2022-09-15 06:42:59 UTC
SLOT_S = 12
MISSED_EVERY = 40  # one slot in 40 has no block


def eth_block_time(number: int) -> int:
    m = number - MERGE_BLOCK
    return MERGE_TIME_S + SLOT_S * (m + m // MISSED_EVERY)


def eth_head(now_ms: int) -> int:
    slot = (now_ms // 1000 - MERGE_TIME_S) // SLOT_S
    m = slot - slot // (MISSED_EVERY + 1)
    while eth_block_time(MERGE_BLOCK + m + 1) <= now_ms // 1000:
        m += 1
    while eth_block_time(MERGE_BLOCK + m) > now_ms // 1000:
        m -= 1
    return MERGE_BLOCK + m


def eth_block_hash(seed: int, number: int) -> str:
    return "0x" + rng.hex_id(seed, "eth-block", number, length=64)


def eth_balance_wei(seed: int, address: str, number: int, provider: str) -> int:
    """Balance at the end of block `number`: yesterday's close until today's change time, then today's."""
    t = eth_block_time(number)
    day = dt.datetime.fromtimestamp(t, dt.UTC).date()
    change_at = day_start_ms(day) // 1000 + int(rng.uniform(seed, "eth-change", address.lower(), day) * 86_000)
    as_of = day if t >= change_at else day - dt.timedelta(days=1)
    return _sats(close(seed, "ethereum", address, as_of, provider)) * WEI_PER_SAT_UNIT


# --- Tron: TRX and USDT of the registry's Tron addresses -----------------------------------------------
USDT_TRC20 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def tron_hex(address: str) -> str | None:
    """Base58check T-address -> 41-prefixed hex, or None when the checksum or shape is wrong."""
    if not address.startswith("T") or len(address) != 34 or any(c not in _B58 for c in address):
        return None
    n = 0
    for c in address:
        n = n * 58 + _B58.index(c)
    raw = n.to_bytes(25, "big")
    payload, check = raw[:21], raw[21:]
    if payload[0] != 0x41 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != check:
        return None
    return payload.hex()


def tron_address(account_id_hex: str) -> str | None:
    """A 20-byte account id (hex, as an ABI `address` argument carries it) -> its base58check T-address."""
    try:
        payload = bytes.fromhex("41" + account_id_hex)
    except ValueError:
        return None
    if len(payload) != 21:
        return None
    n = int.from_bytes(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4], "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return out


@lru_cache(maxsize=512)
def _tron_path(seed: int, address: str) -> tuple[tuple[int, int], ...]:
    """Daily closes (sun, USDT base units) from FIRST_DAY to LAST_DAY."""
    gen = rng.stream(seed, "tron", address)
    trx, usdt = gen.uniform(1e6, 5e7), gen.uniform(1e7, 5e8)
    out = []
    for _ in range((LAST_DAY - FIRST_DAY).days + 1):
        trx *= 1 + gen.uniform(-0.02, 0.02)
        usdt *= 1 + gen.uniform(-0.03, 0.03)
        out.append((int(trx * 1e6), int(usdt * 1e6)))
    return tuple(out)


def tron_account(seed: int, address: str, now_ms: int) -> tuple[int, int] | None:
    """(sun, USDT base units) at now for a registry address; None for an account that never existed."""
    if not in_registry("tron", address):
        return None
    day = min(max(dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).date(), FIRST_DAY), LAST_DAY)
    change_at = day_start_ms(day) + int(rng.uniform(seed, "tron-change", address, day) * (MS_DAY - 60_000))
    index = (day - FIRST_DAY).days - (1 if now_ms < change_at and day > FIRST_DAY else 0)
    return _tron_path(seed, address)[index]
