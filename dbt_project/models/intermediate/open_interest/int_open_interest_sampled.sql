-- One observation per day, venue and instrument: the state at the day's close (D+1 00:00 UTC).
-- History venues: the last observation in (D 00:00, D+1 00:00]. Snapshot venues: what D's run read,
-- at the time the venue reported. Either is stale when observed more than `oi_stale_hours` from the close.
with ranked as (
    select
        *,
        {{ close_of('as_of_date') }} as close_at
    from {{ ref('int_open_interest_unioned') }}
    where oi_base is not null
    qualify row_number() over (partition by as_of_date, exchange, symbol order by observed_at desc) = 1
)
select
    as_of_date as date,
    exchange,
    symbol,
    asset,
    contract_type,
    method,
    observed_at,
    round(date_diff('second', close_at, observed_at) / 3600.0, 4) as hours_from_close,
    observed_at is null
        or abs(date_diff('second', close_at, observed_at)) > {{ var('oi_stale_hours', 3) }} * 3600 as is_stale,
    oi_native,
    native_unit,
    base_per_native,
    oi_base
from ranked
