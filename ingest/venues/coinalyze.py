"""Coinalyze (reference aggregator): per-market daily liquidations, open interest and hourly funding.

Markets are found, not hard-coded: /exchanges names each exchange code, /future-markets lists the
perpetuals with the venue's own symbol, and the market of a venue is the perpetual whose
`symbol_on_exchange` is the symbol the venue module ingests. A venue Coinalyze does not list is noted
in the run manifest (the figures then say the aggregator covers fewer venues), not treated as an error.
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
from ingest.venues._perps import VENUES, perp_symbol

SOURCE = "coinalyze"
MAX_SYMBOLS = 20
# Coinalyze's display name of each venue (matched case-insensitively against /exchanges).
EXCHANGE_NAMES = {"binance": "Binance", "bybit": "Bybit", "okx": "OKX", "deribit": "Deribit", "bitmex": "BitMEX",
                  "hyperliquid": "Hyperliquid"}


def venues(ctx: FetchContext) -> list[str]:
    return [v for v in ctx.source.extra.get("venues") or VENUES if v in EXCHANGE_NAMES]


def listing(ctx: FetchContext, path: str) -> list[Any]:
    """A reference listing (exchanges, markets) is never empty: an empty one is an outage, and landing it
    would read as a day on which nothing was listed."""
    items = require_list(SOURCE, ctx.client.get_json(path), path)
    require_points(SOURCE, path, len(items))
    return items


def find_markets(ctx: FetchContext) -> dict[str, str]:
    """Coinalyze symbol -> "venue:asset" for the perpetuals the venue modules ingest."""
    codes = {str(e.get("name", "")).lower(): e.get("code") for e in listing(ctx, "/exchanges") if isinstance(e, dict)}
    markets = [m for m in listing(ctx, "/future-markets") if isinstance(m, dict) and m.get("is_perpetual")]
    found: dict[str, str] = {}
    unmatched = []
    for venue in venues(ctx):
        code = codes.get(EXCHANGE_NAMES[venue].lower())
        for asset in ctx.source.assets:
            want = perp_symbol(venue, asset).upper()
            match = next((m["symbol"] for m in markets if m.get("exchange") == code
                          and str(m.get("symbol_on_exchange", "")).upper() == want), None)
            if match:
                found[match] = f"{venue}:{asset}"
            else:
                unmatched.append(f"{venue}:{asset}")
    ctx.notes["markets"] = found
    if unmatched:
        ctx.notes["unmatched"] = unmatched
    if not found:
        raise SourceError(f"{SOURCE}: none of the configured venues' perpetuals is listed in /future-markets")
    return found


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


def fetch_markets(ctx: FetchContext) -> None:
    listing(ctx, "/future-markets")


def fetch_exchanges(ctx: FetchContext) -> None:
    listing(ctx, "/exchanges")


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
        name="exchanges",
        records="$",
        fields=(Field("code", "$.code"), Field("name", "$.name"), Field("observed_date", "env:$.date", "DATE")),
        key=("code", "observed_date"),
        fetch=fetch_exchanges,
        description="Exchange codes as named on the run day",
    ),
    Dataset(
        name="future_markets",
        records="$",
        fields=(
            Field("symbol", "$.symbol"),
            Field("exchange", "$.exchange"),
            Field("symbol_on_exchange", "$.symbol_on_exchange"),
            Field("base_asset", "$.base_asset"),
            Field("quote_asset", "$.quote_asset", required=False),
            Field("is_perpetual", "$.is_perpetual", "BOOLEAN"),
            Field("margined", "$.margined", required=False),
            Field("denominated_in", "$.oi_lq_vol_denominated_in", required=False),
            Field("observed_date", "env:$.date", "DATE"),
        ),
        key=("symbol", "observed_date"),
        fetch=fetch_markets,
        description="Futures markets as listed on the run day (maps a Coinalyze symbol to a venue's contract)",
    ),
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
