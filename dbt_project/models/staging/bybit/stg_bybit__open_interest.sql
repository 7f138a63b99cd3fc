-- Bybit's openInterest counts both sides; singleOpenInterest is one side. One side is kept, halving the
-- two-sided figure where an older answer lacks the single-side field.
select
    'bybit' as exchange,
    symbol,
    {{ asset_from_symbol('symbol') }} as asset,
    'perpetual' as contract_type,
    'history' as method,
    {{ ms_to_ts('timestamp_ms') }} as observed_at,
    {{ close_date(ms_to_ts('timestamp_ms')) }} as as_of_date,
    open_interest as oi_native,
    'coin, both sides' as native_unit,
    coalesce(single_open_interest / nullif(open_interest, 0), 0.5) as base_per_native,
    coalesce(single_open_interest, open_interest / 2) as oi_base
from {{ raw_or_empty('raw_markets', 'bybit__open_interest') }}
where category = 'linear'
