"""Tron balances through a TRON full node's own HTTP API: the second, independent Tron provider.

TronGrid's /v1/accounts is an indexer in front of the nodes; this reads the node itself (java-tron's
FullNode HTTP API, https://developers.tron.network/reference/getaccount and
https://tronprotocol.github.io/documentation-en/api/http/), so the two Tron providers can disagree
and the per-address comparison can catch what one of them alone cannot tell from a zero balance.

Three datasets, fetched in this order within one run:
- `now_block`: `POST /wallet/getnowblock` -> the node's head block (number, timestamp). The node's
  state answers are at least this new: it is the observation time of the run's TRX balances
  (getaccount carries no time of its own).
- `accounts`: `POST /wallet/getaccount {"address": T.., "visible": true}` per address -> `balance` in
  sun. java-tron prints the account with protobuf's JSON form, which leaves out fields holding their
  default: an account with no TRX has no `balance`, and an address never activated answers `{}`.
- `trc20_balances`: `POST /wallet/triggerconstantcontract` calling `balanceOf(address)` on the USDT
  contract (https://tronprotocol.github.io/documentation-en/api/http/smart-contract/triggerconstantcontract/)
  -> `constant_result[0]`, the uint256 as 64 hex digits; `transaction.raw_data.timestamp` is the node's
  clock when it ran the call (the observation time of the USDT balance). The caller (`owner_address`)
  is the address itself: a read-only call needs no funds, and the request then names whose balance
  it is, so the landed answer identifies itself.

Like TronGrid the node only tells the present (no balance at a past block): dbt uses a run for day D
only when its observation lies close enough to D+1 00:00. Errors: java-tron answers HTTP 200 with
`{"Error": "..."}` for a request it cannot parse, and `result.result` false with a `message` for a
failed call; both fail the address (and the dataset, after the others are read).
"""
from __future__ import annotations

import re
from typing import Any

from ingest.http import SourceError
from ingest.onchain._pool import run_each
from ingest.onchain.registry import addresses_for
from ingest.spec import Dataset, FetchContext, Field

# Tether USD on Tron, 6 decimals (https://tronscan.org/#/token20/TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t); the
# same contract whose balance TronGrid lists under `trc20`
USDT_CONTRACT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_UINT256 = re.compile(r"^[0-9a-fA-F]{64}$")


def address_hex20(address: str) -> str:
    """A base58check T-address -> its 20-byte account id in hex (the ABI `address` argument)."""
    if not address.startswith("T") or len(address) != 34 or any(c not in _B58 for c in address):
        raise SourceError(f"not a usable Tron address: {address!r}")
    n = 0
    for c in address:
        n = n * 58 + _B58.index(c)
    raw = n.to_bytes(25, "big")
    if raw[0] != 0x41:
        raise SourceError(f"not a mainnet Tron address: {address!r}")
    return raw[1:21].hex()


def _node_error(ctx: FetchContext, what: str, body: Any) -> None:
    if not isinstance(body, dict):
        raise SourceError(f"{ctx.source.name}: {what} answered {type(body).__name__}, not an object")
    if "Error" in body:  # java-tron's servlets answer a bad request with 200 and {"Error": ...}
        raise SourceError(f"{ctx.source.name}: {what}: {str(body['Error'])[:200]}")


def fetch_now_block(ctx: FetchContext) -> None:
    body = ctx.client.post_json("/wallet/getnowblock", {})
    _node_error(ctx, "getnowblock", body)
    header = body.get("block_header")
    raw = header.get("raw_data") if isinstance(header, dict) else None
    if not isinstance(raw, dict) or not isinstance(raw.get("timestamp"), int):
        raise SourceError(f"{ctx.source.name}: getnowblock answered without block_header.raw_data.timestamp")
    ctx.notes["head_block"] = raw.get("number")


def fetch_accounts(ctx: FetchContext) -> None:
    def one(address: str) -> None:
        address_hex20(address)  # refuses what the node would refuse, before asking
        body = ctx.client.post_json("/wallet/getaccount", {"address": address, "visible": True})
        _node_error(ctx, f"getaccount {address}", body)
        # `{}` is the node's answer for an address never activated: a zero balance, not an error
        if body and body.get("address") not in (None, address):
            raise SourceError(f"{ctx.source.name}: getaccount {address} answered for {body.get('address')!r}")

    run_each(ctx, addresses_for(ctx.source), one, "addresses")


def balance_of_request(address: str, contract: str = USDT_CONTRACT) -> dict[str, Any]:
    return {"owner_address": address, "contract_address": contract, "function_selector": "balanceOf(address)",
            "parameter": address_hex20(address).rjust(64, "0"), "visible": True}


def fetch_trc20_balances(ctx: FetchContext) -> None:
    def one(address: str) -> None:
        body = ctx.client.post_json("/wallet/triggerconstantcontract", balance_of_request(address))
        _node_error(ctx, f"balanceOf {address}", body)
        result = body.get("result") if isinstance(body.get("result"), dict) else {}
        constant = body.get("constant_result")
        if result.get("result") is not True or not isinstance(constant, list) or len(constant) != 1 \
                or not isinstance(constant[0], str) or not _UINT256.match(constant[0]):
            message = result.get("message") or result.get("code") or "no constant_result"
            raise SourceError(f"{ctx.source.name}: balanceOf {address} failed: {str(message)[:160]}")

    run_each(ctx, addresses_for(ctx.source), one, "addresses")


DATASETS = [
    Dataset(
        name="now_block",
        records="$",
        fields=(
            Field("block_number", "$.block_header.raw_data.number", "BIGINT", min=0),
            Field("block_time_ms", "$.block_header.raw_data.timestamp", "BIGINT", min=1.5e12),
            Field("block_id", "$.blockID"),
            Field("fetch_date", "env:$.date", "DATE"),
            Field("run_id", "env:$.run_id"),  # a run's answers belong together: a rerun adds, never mixes
        ),
        key=("block_number", "fetch_date", "run_id"),
        fetch=fetch_now_block,
        description="The node's head block when the run started: the observation time of its TRX balances",
    ),
    Dataset(
        name="accounts",
        records="$",  # one account object per answer; `{}` for an address never activated
        fields=(
            Field("address", "env:$.request_body.address"),  # as asked: the answer of `{}` names nobody
            Field("account_address", "$.address", required=False),
            # absent when the account holds no TRX; all TRX ever issued is ~1e17 sun: more is absurd
            Field("balance_sun", "$.balance", "BIGINT", required=False, min=0, max=2e17),
            Field("create_time_ms", "$.create_time", "BIGINT", required=False, min=0),
            Field("fetch_date", "env:$.date", "DATE"),
            Field("run_id", "env:$.run_id"),
        ),
        key=("address", "fetch_date", "run_id"),
        fetch=fetch_accounts,
        description="TRX balance (sun) of each registry address at the time of the run, from the node itself",
    ),
    Dataset(
        name="trc20_balances",
        records="$",
        fields=(
            Field("address", "env:$.request_body.owner_address"),
            Field("contract_address", "env:$.request_body.contract_address"),
            Field("call_ok", "$.result.result", "BOOLEAN"),
            Field("balance_hex", "$.constant_result[0]"),  # uint256, 64 hex digits; staging parses it
            Field("observed_at_ms", "$.transaction.raw_data.timestamp", "BIGINT", min=1.5e12),
            Field("fetch_date", "env:$.date", "DATE"),
            Field("run_id", "env:$.run_id"),
        ),
        key=("address", "contract_address", "fetch_date", "run_id"),
        fetch=fetch_trc20_balances,
        description="USDT (TRC-20) balance of each registry address: balanceOf on the token contract",
    ),
]
