-- The perpetual tickers read by each run: Deribit's index (the spot composite the perpetual settles
-- funding against) and the perpetual's mark, at the ticker's timestamp.
select
    'deribit' as exchange,
    {{ asset_from_symbol('instrument_name') }} as asset,
    'index' as price_type,
    instrument_name as instrument,
    'snapshot' as method,
    {{ ms_to_ts('timestamp_ms') }} as observed_at,
    index_price as price
from {{ raw_or_empty('raw_markets', 'deribit__tickers') }}
union all
select
    'deribit',
    {{ asset_from_symbol('instrument_name') }},
    'mark',
    instrument_name,
    'snapshot',
    {{ ms_to_ts('timestamp_ms') }},
    mark_price
from {{ raw_or_empty('raw_markets', 'deribit__tickers') }}
