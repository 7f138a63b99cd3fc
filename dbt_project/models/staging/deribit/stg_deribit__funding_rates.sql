-- Deribit reports funding per hour: each row is an event of interval 1 hour with rate interest_1h.
select
    'deribit' as exchange,
    instrument_name as symbol,
    {{ asset_from_symbol('instrument_name') }} as asset,
    {{ ms_to_ts('timestamp_ms') }} as funding_time,
    interest_1h as rate,
    1 as interval_hours,
    index_price
from {{ source('raw', 'deribit__funding_rates') }}
