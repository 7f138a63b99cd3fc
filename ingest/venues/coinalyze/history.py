"""Coinalyze history: per-market daily liquidations, open interest and hourly funding.

History calls take every market at once (at most 20 a call), `from`/`to` in UNIX seconds, and the key in
the `api_key` header (sources.yml `api_key_header`). Quantities are asked for in USD; funding comes in
percent per the market's own interval.
"""
from __future__ import annotations

from typing import Any

from ingest.http import SourceError
from ingest.spec import Dataset, FetchContext, Field
from ingest.venues._history import require_points
from ingest.venues._paging import require_list
from ingest.venues.coinalyze.api import SOURCE
from ingest.venues.coinalyze.markets import find_markets

MAX_SYMBOLS = 20


def fetch_history(path: str, interval: str, extra: dict[str, Any] | None = None, *, every_symbol: bool = True):
    """`every_symbol`: each market must have points (continuous series: open interest, funding). Off for
    liquidations, where a quiet market may have no candle for the day: there only a batch with no point
    at all is an outage."""
    def fetch(ctx: FetchContext) -> None:
        markets = find_markets(ctx)
        symbols = sorted(markets)
        for i in range(0, len(symbols), MAX_SYMBOLS):
            batch = symbols[i:i + MAX_SYMBOLS]
            body = ctx.client.get_json(path, {
                "symbols": ",".join(batch), "interval": interval,
                "from": ctx.start_ms // 1000, "to": ctx.end_ms // 1000 - 1, **(extra or {})})
            points = dict.fromkeys(batch, 0)
            for item in require_list(SOURCE, body, path):
                if not isinstance(item, dict) or not isinstance(item.get("history"), list):
                    raise SourceError(f"{SOURCE}: {path} item without a history list: {str(item)[:200]}")
                if item.get("symbol") in points:
                    points[item["symbol"]] += len(item["history"])
            # A market left out of the answer (the API drops markets it does not know) or without candles is
            # an outage for it: loaded as is, its figures would read as having no reference, not a failed one.
            if every_symbol:
                for symbol in batch:
                    require_points(SOURCE, f"{path} {symbol} ({markets[symbol]})", points[symbol])
            else:
                require_points(SOURCE, f"{path} {','.join(batch)}", sum(points.values()))
    return fetch


_CANDLE_KEY = ("symbol", "interval", "t_s")
_HISTORY_META = (
    Field("symbol", "parent:$.symbol"),
    Field("interval", "env:$.params.interval"),
    Field("t_s", "$.t", "BIGINT"),
)


def _ohlc(lo: float | None, hi: float | None) -> tuple[Field, ...]:
    return tuple(Field(name, f"$.{short}", "DOUBLE", min=lo, max=hi)
                 for name, short in (("open", "o"), ("high", "h"), ("low", "l"), ("close", "c")))


DATASETS = [
    Dataset(
        name="liquidation_history",
        records="$[*].history",
        fields=(*_HISTORY_META,
                Field("long_usd", "$.l", "DOUBLE", min=0),
                Field("short_usd", "$.s", "DOUBLE", min=0)),
        key=_CANDLE_KEY,
        fetch=fetch_history("/liquidation-history", "daily", {"convert_to_usd": "true"}, every_symbol=False),
        description="USD of long and short positions liquidated per market and UTC day",
    ),
    Dataset(
        name="open_interest_history",
        records="$[*].history",
        fields=(*_HISTORY_META, *_ohlc(0, None)),
        key=_CANDLE_KEY,
        fetch=fetch_history("/open-interest-history", "daily", {"convert_to_usd": "true"}),
        description="Open interest in USD per market and UTC day (close = state at the next 00:00 UTC)",
    ),
    Dataset(
        name="funding_rate_history",
        records="$[*].history",
        # percent per interval; beyond ±10 % no venue settles
        fields=(*_HISTORY_META, *_ohlc(-10, 10)),
        key=_CANDLE_KEY,
        fetch=fetch_history("/funding-rate-history", "1hour"),
        description="Funding rate in force per market and hour, in percent per the market's interval",
    ),
]
