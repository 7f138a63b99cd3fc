"""Bitcoin balances through an Esplora HTTP API (mempool.space, blockstream.info run the same one).

Per address, two reads:
- `GET /address/:address` -> `chain_stats` (funded_txo_sum, spent_txo_sum, tx_count): the confirmed
  balance at the moment of the call, whatever the day being fetched.
- `GET /address/:address/txs/chain[/:last_seen_txid]` -> confirmed transactions, newest first, 25 a
  page. Pages are read back until one reaches a transaction older than the day's start (or the
  address's first transaction), so the run holds every transaction from D 00:00 to now.
dbt turns the two into the close of D: the snapshot minus the transactions confirmed after D+1 00:00
(so the 00:30 run and a backfill months later give the same number), and the day's flows from the
transactions inside [D 00:00, D+1 00:00). Every row keeps the day fetched (`fetch_date`) and the run
(`run_id`): a snapshot only means something next to the transactions read in the same run.

The snapshots are read first and the histories second; a transaction confirmed in between makes the
history newer than the snapshot. dbt detects this where the history reaches the address's first
transaction (the count exceeds `tx_count`); for long histories the cross-provider check catches it.

An empty first history page is what an address that never transacted answers, and what a lost page
looks like. The snapshots, read first in the same run, tell the two apart: an address whose `tx_count`
is above 0 must show a transaction, or its history fails (the dataset with it).
"""
from __future__ import annotations

from typing import Any

from ingest.http import CircuitOpen, SourceError
from ingest.onchain._pool import run_each
from ingest.onchain.registry import addresses_for
from ingest.spec import Dataset, FetchContext, Field, InputMissing

PAGE = 25  # Esplora's fixed page size for /txs/chain
DEFAULT_MAX_PAGES = 40  # a bound on one address's history per run; dbt sees the gap if it is reached
# handover: address -> chain_stats.tx_count, from address_stats to address_txs of the same run. Passed
# on, not asked again: a snapshot landed with the history would load there as a record without txid.
TX_COUNTS = "esplora_tx_counts"


def _quote(address: str) -> str:
    if not address or any(c in address for c in "/?#% "):
        raise SourceError(f"not a usable address: {address!r}")
    return address


def fetch_address_stats(ctx: FetchContext) -> None:
    counts: dict[str, int] = {}
    ctx.handover[TX_COUNTS] = None  # ran, nothing to hand over yet

    def one(address: str) -> None:
        body = ctx.client.get_json(f"/address/{_quote(address)}")
        if not isinstance(body, dict) or not isinstance(body.get("chain_stats"), dict):
            raise SourceError(f"{ctx.source.name}: /address/{address} answered without chain_stats")
        tx_count = body["chain_stats"].get("tx_count")
        if isinstance(tx_count, int) and not isinstance(tx_count, bool):
            counts[address] = tx_count

    try:
        run_each(ctx, addresses_for(ctx.source), one, "addresses")
    except SourceError as exc:
        # Some addresses failing leaves the others' counts usable: their histories are still read. An
        # unreachable provider hands over nothing, and address_txs is reported skipped because of this one.
        if not isinstance(exc.__cause__, CircuitOpen):
            ctx.handover[TX_COUNTS] = counts
        raise
    ctx.handover[TX_COUNTS] = counts


def _block_time(tx: Any) -> int | None:
    status = tx.get("status") if isinstance(tx, dict) else None
    value = status.get("block_time") if isinstance(status, dict) else None
    return value if isinstance(value, int) else None


def _require_quiet(ctx: FetchContext, tx_count: int | None) -> None:
    """An empty history is believed only from an address whose snapshot counts no transaction."""
    # chain_stats only: /txs/chain lists confirmed transactions, so mempool-only activity is not a gap
    # short: the pool keeps 160 characters of each failure, after the address
    if tx_count is None:
        raise SourceError(f"{ctx.source.name}: txs/chain answered no transactions and no tx_count was read this "
                          f"run to tell a quiet address from a lost page")
    if tx_count > 0:
        raise SourceError(f"{ctx.source.name}: inconsistent answer: txs/chain has no transactions but "
                          f"chain_stats.tx_count is {tx_count} (a lost page, not a quiet address)")


def fetch_address_txs(ctx: FetchContext) -> None:
    start_s = int(ctx.start.timestamp())
    max_pages = int(ctx.source.extra.get("max_tx_pages", DEFAULT_MAX_PAGES))
    truncated: list[str] = []
    if TX_COUNTS in ctx.handover and ctx.handover[TX_COUNTS] is None:  # address_stats ran, handed nothing over
        raise InputMissing(ctx.source.name, "address_stats", "chain_stats.tx_count of the addresses")
    # asked for alone: no counts, so an empty history fails its address (`_require_quiet`), not the day
    tx_counts = ctx.handover.get(TX_COUNTS) or {}

    def one(address: str) -> int:
        path = f"/address/{_quote(address)}/txs/chain"
        last_seen = None
        for page in range(1, max_pages + 1):
            txs = ctx.client.get_json(path + (f"/{last_seen}" if last_seen else ""))
            if not isinstance(txs, list):
                raise SourceError(f"{ctx.source.name}: {path} answered {type(txs).__name__}, not a list")
            if page == 1 and not txs:
                _require_quiet(ctx, tx_counts.get(address))
            times = [_block_time(tx) for tx in txs]
            if len(txs) < PAGE or any(t is not None and t < start_s for t in times):
                return page
            txid = txs[-1].get("txid") if isinstance(txs[-1], dict) else None
            if not txid or txid == last_seen:
                raise SourceError(f"{ctx.source.name}: {path} paging did not advance past {last_seen}")
            last_seen = txid
        truncated.append(address)
        return max_pages

    pages = run_each(ctx, addresses_for(ctx.source), one, "addresses")
    ctx.notes["tx_pages"] = sum(pages)
    if truncated:  # not an error: dbt marks these addresses' history as incomplete for the day
        ctx.notes["history_truncated"] = truncated[:50]
        ctx.log.warning("%s %s: %d addresses had more than %d pages of history since %s", ctx.source.name,
                        ctx.day, len(truncated), max_pages, ctx.start)


DATASETS = [
    Dataset(
        name="address_stats",
        records="$",
        fields=(
            Field("address", "$.address"),
            Field("funded_txo_sum", "$.chain_stats.funded_txo_sum", "BIGINT", min=0),
            Field("spent_txo_sum", "$.chain_stats.spent_txo_sum", "BIGINT", min=0),
            Field("tx_count", "$.chain_stats.tx_count", "BIGINT", min=0),
            Field("fetch_date", "env:$.date", "DATE"),
            Field("run_id", "env:$.run_id"),  # a run's answers belong together: a rerun adds, never mixes
        ),
        key=("address", "fetch_date", "run_id"),
        fetch=fetch_address_stats,
        description="Confirmed totals (sats) of each registry address at the time of the run",
    ),
    Dataset(
        name="address_txs",
        records="$",
        fields=(
            Field("request_url", "env:$.url"),  # names the address the page belongs to
            Field("txid", "$.txid"),
            Field("confirmed", "$.status.confirmed", "BOOLEAN"),
            Field("block_height", "$.status.block_height", "BIGINT", min=0),
            Field("block_time", "$.status.block_time", "BIGINT", min=1231006505),  # not before the genesis block
            Field("fee", "$.fee", "BIGINT", required=False, min=0),
            Field("vin", "$.vin", "JSON"),
            Field("vout", "$.vout", "JSON"),
            Field("fetch_date", "env:$.date", "DATE"),
            Field("run_id", "env:$.run_id"),  # a run's answers belong together: a rerun adds, never mixes
        ),
        key=("request_url", "txid", "fetch_date", "run_id"),
        fetch=fetch_address_txs,
        description="Confirmed transactions of each registry address from the day's start to the run",
    ),
]
