"""Ether balances at the close of the day through a standard Ethereum JSON-RPC endpoint.

The close of D is the state after the last block stamped before D+1 00:00. The run finds that block
(eth_blockNumber, then eth_getBlockByNumber probes: a guess from the 12-second slot time, widened until
it brackets the close, then interpolation between the bracket), and asks eth_getBalance for every
address at that block number, in JSON-RPC batches (`batch_size`, default 100). Asking for a block
rather than "latest" makes the daily run and a backfill the same request. The close block is ~150
blocks behind the head at the 00:30 run, past the 128 recent blocks whose state a full (pruned) node
keeps (https://geth.ethereum.org/docs/fundamentals/sync-modes), so the endpoint must be an archive node.
A pruned one answers an error object per address, in its client's words (PRUNED_STATE below); the run
names that as the reason the provider failed (raw.ingest_runs), the answers land and are quarantined,
and the addresses stay missing for that provider, never zero.

Every call carries a string id naming what it asks (`block:0x..`, `balance:<address>@0x..`), so a
landed answer identifies itself without the request next to it, and batch answers may come in any
order. Every answer of the run lands in one dataset, `rpc_calls`; dbt splits blocks from balances.
"""
from __future__ import annotations

import re
import time
from typing import Any

from ingest.http import SourceError
from ingest.onchain._pool import run_each
from ingest.onchain.registry import addresses_for
from ingest.spec import Dataset, FetchContext, Field

SLOT_SECONDS = 12  # a first guess only: missed slots make blocks sparser, the search corrects for it
DEFAULT_BATCH = 100
MAX_PROBES = 64
RETRYABLE_CODES = {-32005, -32016, 429}  # "limit exceeded" inside a 200 answer, per item or per batch
RETRY_PAUSE_S = 1.0
# How each client refuses state it no longer keeps (eth_getBalance at a block before its window), lower case:
# - geth, hash scheme: trie.MissingNodeError "missing trie node <hash> (path ...)"; path scheme (triedb/pathdb):
#   "state 0x<root> is not available", "historical state <root> is not available"
#   (https://docs.chainstack.com/docs/evm-node-returns-missing-trie-node)
# - Nethermind: -32002 "No state available for block <hash>" (JsonRpc GetStateFailureResult)
# - Erigon: "old data not available due to pruning" (state.PrunedError)
# - Reth: "state at block #<n> is pruned" (ProviderError::StateAtBlockPruned)
# - Besu: "World state unavailable"
# Providers in front of the clients add their own wording ("pruned history unavailable", "archive").
# ("is not available" alone would also match geth's -32601 "the method x does not exist/is not available")
PRUNED_STATE = re.compile(r"missing trie node|state (0x)?[0-9a-f]* ?is not available|no state available"
                          r"|not available due to pruning|state at block #?\d+ is pruned|world state unavailable"
                          r"|pruned history unavailable|historical state|archive node")


def pruned_state(error: Any) -> bool:
    """Whether a JSON-RPC error object says the node no longer keeps the state asked for."""
    message = str(error.get("message", "")) if isinstance(error, dict) else str(error or "")
    return PRUNED_STATE.search(message.lower()) is not None


def _call(method: str, params: list[Any], call_id: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call_id, "method": method, "params": params}


def _result(ctx: FetchContext, answer: Any, call_id: str) -> Any:
    if not isinstance(answer, dict):
        raise SourceError(f"{ctx.source.name}: {call_id} answered {type(answer).__name__}, not an object")
    if "error" in answer or "result" not in answer:
        raise SourceError(f"{ctx.source.name}: {call_id} error: {answer.get('error')!r}")
    return answer["result"]


def _single(ctx: FetchContext, method: str, params: list[Any], call_id: str) -> Any:
    return _result(ctx, ctx.client.post_json("/", _call(method, params, call_id)), call_id)


class BlockFinder:
    """The last block before a time, found with few probes; every probe lands as a `block:` answer."""

    def __init__(self, ctx: FetchContext):
        self.ctx = ctx
        self.times: dict[int, int] = {}

    def time_of(self, number: int) -> int:
        if number not in self.times:
            block = _single(self.ctx, "eth_getBlockByNumber", [hex(number), False], f"block:{hex(number)}")
            if not isinstance(block, dict) or "timestamp" not in block:
                raise SourceError(f"{self.ctx.source.name}: block {number} answered without a timestamp")
            self.times[number] = int(block["timestamp"], 16)
        return self.times[number]

    def last_before(self, target_s: int) -> int:
        head = int(_single(self.ctx, "eth_blockNumber", [], "blockNumber"), 16)
        if self.time_of(head) < target_s:
            raise SourceError(f"{self.ctx.source.name}: head block {head} is older than the close; "
                              "the endpoint is behind or the day is not over")
        hi = head  # invariant: time(hi) >= target > time(lo)
        gap = max(1, (self.time_of(head) - target_s) // SLOT_SECONDS)
        lo = max(0, hi - gap)
        while self.time_of(lo) >= target_s:
            hi, gap = lo, gap * 2
            if lo == 0:
                raise SourceError(f"{self.ctx.source.name}: no block before {target_s}")
            lo = max(0, lo - gap)
        for _ in range(MAX_PROBES):
            if hi - lo <= 1:
                return lo
            t_lo, t_hi = self.time_of(lo), self.time_of(hi)
            guess = lo + (target_s - t_lo) * (hi - lo) // max(1, t_hi - t_lo)
            mid = min(max(guess, lo + 1), hi - 1)
            if self.time_of(mid) < target_s:
                lo = mid
            else:
                hi = mid
        raise SourceError(f"{self.ctx.source.name}: block search did not converge between {lo} and {hi}")


def fetch_rpc_calls(ctx: FetchContext) -> None:
    finder = BlockFinder(ctx)
    block = finder.last_before(int(ctx.end.timestamp()))
    finder.time_of(block + 1)  # lands the proof that `block` is the last one before the close
    tag = hex(block)
    ctx.notes["close_block"] = block
    size = max(1, min(int(ctx.source.extra.get("batch_size", DEFAULT_BATCH)), 1000))
    addresses = addresses_for(ctx.source)
    batches = [addresses[i:i + size] for i in range(0, len(addresses), size)]

    def one(batch: list[str]) -> None:
        pending = {f"balance:{a.lower()}@{tag}": a for a in batch}
        for attempt in range(1, 4):
            body = ctx.client.post_json("/", [_call("eth_getBalance", [a, tag], i) for i, a in pending.items()])
            if isinstance(body, dict):  # the whole batch refused (limits, batch too large)
                raise SourceError(f"{ctx.source.name}: batch refused: {body.get('error')!r}")
            if not isinstance(body, list):
                raise SourceError(f"{ctx.source.name}: batch answered {type(body).__name__}")
            answered = {a.get("id"): a for a in body if isinstance(a, dict)}
            retry: dict[str, str] = {}
            failed: list[str] = []
            pruned: list[tuple[str, Any]] = []
            for call_id, address in pending.items():
                answer = answered.get(call_id)
                error = answer.get("error") if isinstance(answer, dict) else {"message": "no answer in the batch"}
                if answer is not None and "result" in answer and not error:
                    continue
                code = error.get("code") if isinstance(error, dict) else None
                if code in RETRYABLE_CODES:
                    retry[call_id] = address
                elif pruned_state(error):
                    pruned.append((address, error.get("message") if isinstance(error, dict) else error))
                else:
                    failed.append(address)
            if pruned:  # a setup fault, not a bad answer: say what to change (short: the pool keeps 160 chars)
                raise SourceError(f"not an archive node: no state at block {block} (close of {ctx.day}); "
                                  f"{len(pruned)} addresses refused, e.g. {str(pruned[0][1])[:60]!r}",
                                  transient=False)
            if failed:
                raise SourceError(f"{ctx.source.name}: eth_getBalance failed for {len(failed)} addresses, "
                                  f"e.g. {failed[0]}: {answered.get(f'balance:{failed[0].lower()}@{tag}')!r}")
            if not retry:
                return
            pending = retry
            time.sleep(RETRY_PAUSE_S * 2 ** (attempt - 1))
        raise SourceError(f"{ctx.source.name}: {len(pending)} addresses still rate-limited after retries")

    run_each(ctx, batches, one, "batches")


DATASETS = [
    Dataset(
        name="rpc_calls",
        records="$",
        fields=(
            Field("call_id", "$.id"),
            # block objects and hex quantities both kept as text; staging parses each kind
            Field("result", "$.result"),
            Field("fetch_date", "env:$.date", "DATE"),
            Field("run_id", "env:$.run_id"),  # a run's answers belong together: a rerun adds, never mixes
        ),
        key=("call_id", "fetch_date", "run_id"),
        fetch=fetch_rpc_calls,
        description="JSON-RPC answers of the run: the close block search and eth_getBalance at that block",
    ),
]
