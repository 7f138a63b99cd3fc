"""Build the entity registry seed (dbt_project/seeds/entity_addresses.csv) from DefiLlama's lists.

    .venv/bin/python scripts/build_entity_registry.py [--extract PATH] [--out PATH] [--added-on YYYY-MM-DD]

Input: /work/shared/entities/entity_addresses_extract.json (next to the project as ../shared/entities/),
addresses that DefiLlama/DefiLlama-Adapters @ 1eb4e81d4dd0 attributes to named owners, keyed
`<file>:<key>` (see its README). This script decides who each list belongs to and what kind of holder
that is; the lists themselves are copied unchanged except for casing (Ethereum addresses lower-cased,
so joins do not depend on EIP-55 checksums).

Only the chains the warehouse reads are kept (bitcoin, ethereum, tron); the other chains of a
multi-chain owner are counted and reported, not kept. Rows already in the seed keep their `added_on`,
so re-running with a newer extract only dates what is new. The seed is committed: this script is how it
was made, not a step of the daily run.

Judgement calls, kept here so they can be argued with:
- `bitcoin-book/index.js:tronBTC` -> "Tron/HTX BTC reserve", category `other`: DefiLlama uses it as the
  proof-of-reserves list (2024-10-23) of the BTC that backs Bitcoin tokens issued on Tron, held in HTX
  custody. It is not HTX's customer deposits (that is `huobi`, "HTX"), nor an investment fund or a
  treasury of its own: a custodial token reserve, which none of the other categories describes.
- `huobi` -> "HTX" (exchange). DefiLlama's notes tie three of its addresses (48,555 BTC) publicly to
  Justin Sun and one to USDD backing; the list is kept whole under HTX, as DefiLlama counts it.
- `mtGox` -> "Mt. Gox" (other): the bankruptcy trustee's estate, not an operating exchange.
- `elSalvador` -> "El Salvador" (government).
- `treasury/eth-foundation` -> "Ethereum Foundation" (foundation); its list is named `ethereum_owners`.
- Robinhood is counted as an exchange: it holds its customers' coins the way an exchange does.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_EXTRACT = PROJECT.parent / "shared" / "entities" / "entity_addresses_extract.json"
DEFAULT_OUT = PROJECT / "dbt_project" / "seeds" / "entity_addresses.csv"
UPSTREAM = "DefiLlama/DefiLlama-Adapters@1eb4e81d4dd0"
COLUMNS = ("entity", "category", "chain", "address", "citation", "added_on")
CATEGORIES = ("exchange", "foundation", "government", "fund", "other")
CHAINS = ("bitcoin", "ethereum", "tron")
# a multi-chain list names its chains; these spellings mean one of ours
CHAIN_ALIASES = {"bitcoin": "bitcoin", "ethereum": "ethereum", "ethereum_owners": "ethereum", "tron": "tron"}

# extract key -> (entity, category). A key missing here stops the script: a new list needs a decision.
OWNERS: dict[str, tuple[str, str]] = {
    "bitcoin-book/index.js:binance": ("Binance", "exchange"),
    "bitcoin-book/index.js:binance2": ("Binance", "exchange"),
    "bitcoin-book/index.js:bybit": ("Bybit", "exchange"),
    "bitcoin-book/index.js:deribit": ("Deribit", "exchange"),
    "bitcoin-book/index.js:huobi": ("HTX", "exchange"),
    "bitcoin-book/index.js:tronBTC": ("Tron/HTX BTC reserve", "other"),
    "bitcoin-book/index.js:bitfinex": ("Bitfinex", "exchange"),
    "bitcoin-book/index.js:kraken": ("Kraken", "exchange"),
    "bitcoin-book/index.js:robinhood": ("Robinhood", "exchange"),
    "bitcoin-book/index.js:mtGox": ("Mt. Gox", "other"),
    "bitcoin-book/index.js:elSalvador": ("El Salvador", "government"),
    "bitcoin-book/index.js:gateIo": ("Gate.io", "exchange"),
    "bitcoin-book/index.js:bitget": ("Bitget", "exchange"),
    "bitcoin-book/index.js:cryptoCom": ("Crypto.com", "exchange"),
    "bitcoin-book/okex.js": ("OKX", "exchange"),
    "bitcoin-book/bitmex.js": ("BitMEX", "exchange"),
    "bitcoin-book/coinbase-btc.js": ("Coinbase", "exchange"),
    "bitcoin-book/kucoin.js": ("KuCoin", "exchange"),
    "cex/index.js:deribit": ("Deribit", "exchange"),
    "cex/index.js:bitmex": ("BitMEX", "exchange"),
    "cex/index.js:kraken": ("Kraken", "exchange"),
    "cex/index.js:crypto-com": ("Crypto.com", "exchange"),
    "cex/index.js:robinhood": ("Robinhood", "exchange"),
    "cex/index.js:mt-gox": ("Mt. Gox", "other"),
    "projects/okex/index.js": ("OKX", "exchange"),
    "registries/treasury.js:treasury/eth-foundation": ("Ethereum Foundation", "foundation"),
}


def citation(key: str) -> str:
    """`<repo>@<commit> <path in the repository>[:<key>]` for an extract key."""
    path, _, name = key.partition(":")
    if path.startswith(("bitcoin-book/", "cex/")):
        path = "projects/helper/" + path
    return f"{UPSTREAM} {path}" + (f":{name}" if name else "")


def normalise(chain: str, address: str) -> str:
    address = address.strip()
    return address.lower() if chain == "ethereum" else address


def build(extract: dict, existing: dict[tuple[str, str], dict], added_on: str) -> tuple[list[dict], Counter]:
    unknown = sorted(set(extract) - set(OWNERS))
    if unknown:
        raise SystemExit(f"lists without an owner decision: {unknown} (add them to OWNERS)")
    rows: dict[tuple[str, str], dict] = {}
    skipped: Counter = Counter()
    for key, value in extract.items():
        entity, category = OWNERS[key]
        lists = {"bitcoin": value} if isinstance(value, list) else value
        for raw_chain, addresses in lists.items():
            chain = CHAIN_ALIASES.get(raw_chain)
            if chain is None:
                skipped[raw_chain] += len(addresses)
                continue
            for address in addresses:
                address = normalise(chain, address)
                seen = rows.get((chain, address))
                if seen and seen["entity"] != entity:
                    raise SystemExit(f"{chain} {address} is claimed by {seen['entity']} and {entity}")
                if seen:  # the same address twice in one owner's lists: the first citation stands
                    continue
                old = existing.get((chain, address))
                rows[(chain, address)] = {
                    "entity": entity, "category": category, "chain": chain, "address": address,
                    "citation": citation(key), "added_on": old["added_on"] if old else added_on}
    ordered = sorted(rows.values(), key=lambda r: (r["entity"], r["chain"], r["address"]))
    return ordered, skipped


def read_existing(path: Path) -> dict[tuple[str, str], dict]:
    if not path.exists():
        return {}
    with path.open(newline="") as fh:
        return {(r["chain"], r["address"]): r for r in csv.DictReader(fh)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--extract", type=Path, default=DEFAULT_EXTRACT)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--added-on", default=dt.datetime.now(dt.UTC).date().isoformat())
    args = p.parse_args(argv)
    rows, skipped = build(json.loads(args.extract.read_text()), read_existing(args.out), args.added_on)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(args.out)
    per_chain = Counter(r["chain"] for r in rows)
    print(f"{args.out}: {len(rows)} addresses of {len({r['entity'] for r in rows})} entities "
          f"({', '.join(f'{c} {n}' for c, n in sorted(per_chain.items()))})")
    if skipped:
        print("not kept (chains the warehouse does not read): "
              + ", ".join(f"{c} {n}" for c, n in sorted(skipped.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
