-- Deribit funding is continuous; get_funding_rate_history reports it per hour, one record stamped at the END
-- of its hour (prev_index_price is the index at the hour's start, index_price at its end; the docs' example
-- asks 00:00..04:00 and gets the records of 01:00..04:00:
-- https://docs.deribit.com/api-reference/market-data/public-get_funding_rate_history). A record is the
-- interest of the hour (funding_time - 1 h, funding_time], so it counts for the day that hour lies in:
-- the 24 records stamped (D 00:00, D+1 00:00] make day D.
select
    'deribit' as exchange,
    instrument_name as symbol,
    {{ asset_from_symbol('instrument_name') }} as asset,
    {{ ms_to_ts('timestamp_ms') }} as funding_time,
    interest_1h as rate,
    1 as interval_hours,
    cast({{ ms_to_ts('timestamp_ms - 3600000') }} as date) as funding_date,
    index_price
from {{ raw_or_empty('raw', 'deribit__funding_rates') }}
