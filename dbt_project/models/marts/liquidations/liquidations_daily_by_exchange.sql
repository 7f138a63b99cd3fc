-- Liquidations per UTC day, asset and venue, with how many hours of the day the venue was watched.
-- The grid holds every day with any liquidation data × every (venue, asset) the configuration expects
-- or that reported: an expected venue that delivered nothing shows as zero events over zero hours, and a
-- watched venue without liquidations as zero events over the hours it was watched.
with events as (
    select cast(liquidated_at as date) as date, asset, exchange, side, notional_usd
    from {{ ref('fct_liquidations') }}
),

coverage as (
    select exchange, date, count(distinct hour) as hours_covered
    from {{ ref('int_liquidation_hours_covered') }}
    group by exchange, date
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
        {{ exact_sum('notional_usd', filter="side = 'long'") }} as long_usd,
        {{ exact_sum('notional_usd', filter="side = 'short'") }} as short_usd,
        {{ exact_sum('notional_usd') }} as total_usd,
        count(*) as events
    from events
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
    coalesce(coverage.hours_covered, 0) as hours_covered
from grid
left join totals using (date, asset, exchange)
left join coverage using (date, exchange)
