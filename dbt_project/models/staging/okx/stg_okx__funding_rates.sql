-- OKX history does not state the interval: it is the spacing to the previous settlement of the same
-- swap (8 hours when there is no previous one in the warehouse).
select
    'okx' as exchange,
    inst_id as symbol,
    {{ asset_from_symbol('inst_id') }} as asset,
    {{ ms_to_ts('funding_time_ms') }} as funding_time,
    funding_rate as rate,
    coalesce(
        (funding_time_ms - lag(funding_time_ms) over (partition by inst_id order by funding_time_ms)) / 3600000.0,
        8
    ) as interval_hours
from {{ raw_or_empty('raw', 'okx__funding_rates') }}
