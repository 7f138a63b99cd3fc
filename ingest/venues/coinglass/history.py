"""CoinGlass coin-level history: liquidations, open interest and funding per coin and candle.

Liquidations are summed over the exchanges named in `exchange_list` (sources.yml `liquidation_venues`, so the
sum covers what the warehouse sums); open interest is CoinGlass's all-exchange aggregate in USD; funding is
the open-interest-weighted rate in percent per 8 hours, in candles of `funding_interval` (the day's figure is
the mean of its candles).
"""
from __future__ import annotations

from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points
from ingest.venues._perps import VENUES
from ingest.venues.coinglass.api import SOURCE, funding_interval, get_data

EXCHANGE_NAMES = {"binance": "Binance", "bybit": "Bybit", "okx": "OKX", "deribit": "Deribit", "bitmex": "Bitmex",
                  "hyperliquid": "Hyperliquid"}


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
