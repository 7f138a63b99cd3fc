-- Liquidations per UTC day, asset and venue, with how many hours of the day the venue was watched and how
-- complete the count is.
-- The grid holds every day with any liquidation data × every (venue, asset) the configuration expects
-- or that reported: an expected venue that delivered nothing shows as zero events over zero hours, and a
-- watched venue without liquidations as zero events over the hours it was watched.
-- completeness (docs/verification.md, "Completeness"):
--   complete             the venue's unsampled channels (REST read in time, full-stream websockets) held
--                        every hour of D;
--   sampled_lower_bound  every hour was watched, but some only through a feed the venue documents as sampled
--                        (Binance forceOrder, the OKX liquidation-orders channel): the total is a floor;
--   partial_window       some hour of D was watched by nothing (a REST read that came after the venue's
--                        retention had dropped the start of D, a stream gap, no data at all).
-- Which channel wins: on a day whose REST reads alone cover all of D, only the REST rows count (the venue's
-- own complete record; a websocket row it lacks is a mismatch, not an extra liquidation). Otherwise every
-- channel's rows count, each event once (int_liquidations_deduplicated keeps the REST row of a pair).
with coverage_hours as (
    select * from {{ ref('int_liquidation_hours_covered') }}
),

coverage as (
    select
        exchange,
        date,
        count(distinct hour) as hours_covered,
        count(distinct hour) filter (where not sampled) as hours_unsampled,
        count(distinct hour) filter (where channel = 'rest') as hours_rest
    from coverage_hours
    group by exchange, date
),

windows as (
    select exchange, date, min(covered_from) as covered_from, max(covered_to) as covered_to
    from {{ ref('int_liquidation_windows_covered') }}
    group by exchange, date
),

-- the events summed per day, asset, venue and channel (exact decimals), kept up to date by day range
events as (
    select * from {{ ref('int_liquidations_daily_channels') }}
),

counted as (
    select events.*
    from events
    left join coverage as c using (exchange, date)
    where events.channel = 'rest' or coalesce(c.hours_rest, 0) < 24
),

expected as (
    {{ liquidation_expected_relation() }}
),

pairs as (
    select exchange, asset from expected
    union
    select distinct exchange, asset from events
),

days as (
    select distinct date from events
    union
    select distinct date from coverage
),

grid as (
    select days.date, pairs.asset, pairs.exchange
    from days
    cross join pairs
),

totals as (
    select
        date,
        asset,
        exchange,
        -- exact sums (macros/numbers.sql): a rerun or a backfill gives the same totals to the last bit
        cast(sum(long_usd) as double) as long_usd,
        cast(sum(short_usd) as double) as short_usd,
        cast(sum(total_usd) as double) as total_usd,
        cast(sum(events) as bigint) as events,
        string_agg(distinct channel, ',' order by channel) as channels
    from counted
    group by date, asset, exchange
)

select
    grid.date,
    grid.asset,
    grid.exchange,
    round(coalesce(totals.long_usd, 0), 6) as long_usd,
    round(coalesce(totals.short_usd, 0), 6) as short_usd,
    round(coalesce(totals.total_usd, 0), 6) as total_usd,
    coalesce(totals.events, 0) as events,
    coalesce(coverage.hours_covered, 0) as hours_covered,
    case
        when coalesce(coverage.hours_unsampled, 0) >= 24 then 'complete'
        when coalesce(coverage.hours_covered, 0) >= 24 then 'sampled_lower_bound'
        else 'partial_window'
    end as completeness,
    windows.covered_from,
    windows.covered_to,
    case when coalesce(coverage.hours_rest, 0) >= 24 then 'rest' else coalesce(totals.channels, '') end
        as counted_channels
from grid
left join totals using (date, asset, exchange)
left join coverage using (date, exchange)
left join windows using (date, exchange)
