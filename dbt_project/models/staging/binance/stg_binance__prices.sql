-- Hourly klines: a kline's close is the price at its close time (open + 1 h), so the kline opening at
-- 23:00 gives the price at the day's close.
select
    'binance' as exchange,
    {{ asset_from_symbol('symbol') }} as asset,
    'mark' as price_type,
    symbol as instrument,
    'kline_close' as method,
    {{ ms_to_ts('close_time_ms + 1') }} as observed_at,
    close_price as price
from {{ raw_or_empty('raw_markets', 'binance__mark_price_klines') }}
union all
select
    'binance',
    {{ asset_from_symbol('pair') }},
    'index',
    pair,
    'kline_close',
    {{ ms_to_ts('close_time_ms + 1') }},
    close_price
from {{ raw_or_empty('raw_markets', 'binance__index_price_klines') }}
