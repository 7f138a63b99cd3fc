-- Index and mark price of each asset at each day's close, with the sources behind them: the prices the
-- warehouse converts with (open interest, option notional). Public so other marts and analysts use the
-- same figure.
select
    date,
    asset,
    round(index_price_usd, 8) as index_price_usd,
    round(mark_price_usd, 8) as mark_price_usd,
    round(price_usd, 8) as price_usd,
    price_basis,
    sources,
    source_count,
    max_deviation,
    round(max_offset_minutes, 2) as max_offset_minutes
from {{ ref('int_prices_daily') }}
