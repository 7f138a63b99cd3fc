"""What every CoinGlass v4 dataset shares: the source key, the key's plan, the {"code", "msg", "data"} envelope.

Code "0" is success, anything else raises. The key goes in the `CG-API-KEY` header (sources.yml `api_key_header`).

Plans differ in the candle intervals they serve (https://docs.coinglass.com/v4.0-zh/reference/intervals, the
table of intervals by API level): Hobbyist 4h and above, Startup 30m and above, Standard and up every interval. sources.yml
names the key's `plan` and may name `funding_interval`; without it the finest of 1h/4h the plan serves is
asked. An interval the plan refuses fails before any request, naming the plan; a refusal by CoinGlass itself
(a key on another plan than configured) fails with the plan named too.
"""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError
from ingest.spec import FetchContext
from ingest.venues._paging import check_envelope, require_list

SOURCE = "coinglass"

INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "1w")
# The smallest interval each plan serves (the intervals page above); every larger one is served too.
PLAN_FINEST = {"hobbyist": "4h", "startup": "30m", "standard": "1m", "professional": "1m", "enterprise": "1m"}
DEFAULT_PLAN = "hobbyist"


def plan(ctx: FetchContext) -> str:
    name = str(ctx.source.extra.get("plan", DEFAULT_PLAN)).lower()
    if name not in PLAN_FINEST:
        raise SourceError(f"{SOURCE}: unknown plan {name!r} in the sources file; known: {', '.join(PLAN_FINEST)}")
    return name


def plan_intervals(name: str) -> tuple[str, ...]:
    return INTERVALS[INTERVALS.index(PLAN_FINEST[name]):]


def funding_interval(ctx: FetchContext) -> str:
    """The configured funding candle, or the finest of 1h and 4h the plan serves; refused ones fail here."""
    name = plan(ctx)
    served = plan_intervals(name)
    wanted = ctx.source.extra.get("funding_interval") or ("1h" if "1h" in served else "4h")
    if wanted not in INTERVALS:
        raise SourceError(f"{SOURCE}: funding_interval {wanted!r} is not a CoinGlass interval "
                          f"({', '.join(INTERVALS)})")
    if wanted not in served:
        raise SourceError(f"{SOURCE}: funding_interval {wanted} is not served on the {name} plan (it serves "
                          f"{', '.join(served)}): set funding_interval to one of them, or the key's plan")
    return wanted


def get_data(ctx: FetchContext, path: str, params: dict[str, Any]) -> list[Any]:
    try:
        body = check_envelope(SOURCE, ctx.client.get_json(path, params), code_key="code", ok="0", msg_key="msg")
    except SourceError as exc:
        # CoinGlass refuses what the key's plan does not serve with an error code; say which plan we assumed
        raise SourceError(f"{exc} (interval {params.get('interval')}, configured plan {plan(ctx)})") from None
    return require_list(SOURCE, body.get("data"), f"{path} data")
