-- Binance reports open interest once (one side), in base coins, on an hourly grid.
select
    'binance' as exchange,
    symbol,
    {{ asset_from_symbol('symbol') }} as asset,
    'perpetual' as contract_type,
    'history' as method,
    {{ ms_to_ts('timestamp_ms') }} as observed_at,
    {{ close_date(ms_to_ts('timestamp_ms')) }} as as_of_date,
    sum_open_interest as oi_native,
    'coin' as native_unit,
    1.0 as base_per_native,
    sum_open_interest as oi_base
from {{ raw_or_empty('raw_markets', 'binance__open_interest_hist') }}
