-- Hyperliquid settles funding every hour since 2023-06-08 and settled every 8 hours (00:00, 08:00, 16:00 UTC,
-- an 8-hour rate) before: hyperliquid-python-sdk's recorded fundingHistory answer for BTC
-- (tests/cassettes/info_test/test_get_funding_history[None].yaml, vendored in tests/fixtures/hyperliquid/)
-- is 8 hours apart up to 2023-06-08 00:00:00.254 (many at 0.0001, the 0.01 % interest of an 8-hour
-- interval) and hourly from 01:00:00.054 (many at 0.0000125, the same interest paid hourly). The interval is read from the data, the spacing to the
-- coin's previous settlement rounded to whole hours, when that is one of the two intervals the venue has
-- used; otherwise (the first settlement in the warehouse, or one after a gap) the dated rule decides.
-- A settlement is a payment at its time to the positions open then ("Funding is paid every hour",
-- https://hyperliquid.gitbook.io/hyperliquid-docs/trading/funding), at a rate averaged over the interval it
-- closes. Payments are events: one counts for the UTC day of its time, [D 00:00, D+1 00:00) makes day D.
with rates as (
    select
        *,
        round((time_ms - lag(time_ms) over (partition by coin order by time_ms)) / 3600000.0) as spacing_hours
    from {{ raw_or_empty('raw', 'hyperliquid__funding_rates') }}
),
intervals as (
    select
        *,
        case
            when spacing_hours in (1, 8) then spacing_hours
            when time_ms < 1686184200000 then 8  -- before 2023-06-08 00:30 UTC: the 8-hourly settlements
            else 1
        end as interval_hours
    from rates
)
select
    'hyperliquid' as exchange,
    coin as symbol,
    {{ asset_from_symbol('coin') }} as asset,
    {{ ms_to_ts('time_ms') }} as funding_time,
    funding_rate as rate,
    interval_hours,
    cast({{ ms_to_ts('time_ms') }} as date) as funding_date,
    premium
from intervals
