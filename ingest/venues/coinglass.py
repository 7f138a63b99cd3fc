"""CoinGlass API v4 (reference aggregator): coin-level liquidations, open interest and funding.

Every answer is {"code", "msg", "data"}; code "0" is success, anything else raises. The key goes in the
`CG-API-KEY` header (sources.yml `api_key_header`). Liquidations are summed over the exchanges named in
`exchange_list` (sources.yml `liquidation_venues`, so the sum covers what the warehouse sums); open interest
is CoinGlass's all-exchange aggregate in USD; funding is the open-interest-weighted rate in percent per
8 hours, in candles of `funding_interval` (the day's figure is the mean of its candles).

Plans differ in the candle intervals they serve (https://docs.coinglass.com/v4.0-zh/reference/intervals, the
table of intervals by API level): Hobbyist 4h and above, Startup 30m and above, Standard and up every interval. sources.yml
names the key's `plan` and may name `funding_interval`; without it the finest of 1h/4h the plan serves is
asked. An interval the plan refuses fails before any request, naming the plan; a refusal by CoinGlass itself
(a key on another plan than configured) fails with the plan named too.
"""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points
from ingest.venues._paging import check_envelope, require_list
from ingest.venues._perps import VENUES

SOURCE = "coinglass"
EXCHANGE_NAMES = {"binance": "Binance", "bybit": "Bybit", "okx": "OKX", "deribit": "Deribit", "bitmex": "Bitmex",
                  "hyperliquid": "Hyperliquid"}


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


def fetch_per_asset(path: str, interval, extra=None):
    def fetch(ctx: FetchContext) -> None:
        candle = interval(ctx) if callable(interval) else interval
        for asset in ctx.source.assets:
            params = {"symbol": asset, "interval": candle, "start_time": ctx.start_ms,
                      "end_time": ctx.end_ms - 1, "limit": 1000}
            params.update(extra(ctx) if extra else {})  # not Django's QuerySet.extra  # nosec B610
            rows = get_data(ctx, path, params)
            # An empty day is the reference being down, not a quiet day: loaded as is, the asset's figures
            # would read as having no reference instead of a failed one.
            require_points(SOURCE, f"{path} {asset}", len(rows))
    return fetch


def exchange_list(ctx: FetchContext) -> dict[str, str]:
    venues = ctx.source.extra.get("liquidation_venues") or VENUES
    return {"exchange_list": ",".join(EXCHANGE_NAMES[v] for v in venues if v in EXCHANGE_NAMES)}


_META = (
    Field("symbol", "env:$.params.symbol"),
    Field("interval", "env:$.params.interval"),
    Field("time_ms", "$.time", "BIGINT"),
)
_KEY = ("symbol", "interval", "time_ms")


def _ohlc(lo: float | None, hi: float | None) -> tuple[Field, ...]:
    return tuple(Field(name, f"$.{name}", "DOUBLE", min=lo, max=hi) for name in ("open", "high", "low", "close"))


DATASETS = [
    Dataset(
        name="liquidation_history",
        records="$.data",
        fields=(*_META,
                Field("exchange_list", "env:$.params.exchange_list"),
                Field("long_usd", "$.aggregated_long_liquidation_usd", "DOUBLE", min=0),
                Field("short_usd", "$.aggregated_short_liquidation_usd", "DOUBLE", min=0)),
        key=_KEY,
        fetch=fetch_per_asset("/api/futures/liquidation/aggregated-history", "1d", exchange_list),
        description="USD of long and short positions liquidated per coin and UTC day over the listed exchanges",
    ),
    Dataset(
        name="open_interest_history",
        records="$.data",
        fields=(*_META, Field("unit", "env:$.params.unit"), *_ohlc(0, None)),
        key=_KEY,
        fetch=fetch_per_asset("/api/futures/open-interest/aggregated-history", "1d", lambda ctx: {"unit": "usd"}),
        description="All-exchange open interest per coin and UTC day in USD (close = state at the next 00:00 UTC)",
    ),
    Dataset(
        name="funding_oi_weighted",
        records="$.data",
        fields=(*_META, *_ohlc(-10, 10)),
        key=_KEY,
        fetch=fetch_per_asset("/api/futures/funding-rate/oi-weight-history", funding_interval),
        description="Open-interest-weighted funding per coin and candle (funding_interval), percent per 8 hours",
    ),
]
