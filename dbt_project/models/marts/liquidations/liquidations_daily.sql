-- Liquidations per UTC day and asset across venues, the long share and how unusual it is.
-- Only venue-days that were watched (hours_covered > 0) count: events of a day nobody watched (say the
-- tail of the next day's REST page) stay visible in liquidations_daily_by_exchange with 0 hours, but a
-- sliver of a day must not pass for its total or its long share.
-- long_ratio_30d_avg is the mean long_ratio of the 30 calendar days before D (D excluded); it is null
-- unless all 30 of those days are in the mart, so a short or holed history never passes for a baseline.
-- completeness rolls the venue-days up (every venue row of liquidations_daily_by_exchange for the day, the
-- unwatched ones too): partial_window when any venue's day was not watched whole, else sampled_lower_bound
-- when any venue's count rests on a sampled feed (the total is then a floor), else complete.
{% set days = var('liquidation_baseline_days', 30) | int %}
with by_exchange as (
    select * from {{ ref('liquidations_daily_by_exchange') }}
    where hours_covered > 0
),

expected as (
    {{ liquidation_expected_relation() }}
),

daily as (
    select
        date,
        asset,
        {{ exact_sum('long_usd') }} as long_usd,  -- exact: order-independent (macros/numbers.sql)
        {{ exact_sum('short_usd') }} as short_usd,
        {{ exact_sum('total_usd') }} as total_usd,
        count(*) filter (where events > 0) as exchanges_reporting,
        string_agg(exchange, ',' order by exchange) filter (where events > 0) as sources
    from by_exchange
    group by date, asset
),

completeness as (
    select
        date,
        asset,
        case when bool_or(completeness = 'partial_window') then 'partial_window'
             when bool_or(completeness = 'sampled_lower_bound') then 'sampled_lower_bound'
             else 'complete' end as completeness,
        coalesce(string_agg(exchange, ',' order by exchange) filter (where completeness = 'sampled_lower_bound'), '')
            as sampled_venues,
        coalesce(string_agg(exchange, ',' order by exchange) filter (where completeness = 'partial_window'), '')
            as partial_venues
    from {{ ref('liquidations_daily_by_exchange') }}
    group by date, asset
),

ratios as (
    select *, long_usd / nullif(total_usd, 0) as long_ratio
    from daily
),

baseline as (
    select
        *,
        count(*) over baseline_window as previous_days,
        avg(long_ratio) over baseline_window as previous_avg
    from ratios
    window baseline_window as (
        partition by asset order by date
        range between interval {{ days }} days preceding and interval 1 day preceding
    )
)

select
    date,
    asset,
    round(long_usd, 6) as long_usd,
    round(short_usd, 6) as short_usd,
    round(total_usd, 6) as total_usd,
    round(long_ratio, 12) as long_ratio,
    case when previous_days = {{ days }} then round(previous_avg, 12) end as long_ratio_30d_avg,
    long_ratio >= 0.9 or long_ratio <= 0.1 as is_one_sided,
    exchanges_reporting,
    (select count(*) from expected where expected.asset = baseline.asset) as exchanges_expected,
    coalesce(sources, '') as sources,
    c.completeness,
    c.sampled_venues,
    c.partial_venues,
    -- partial days (docs/verification.md): kept, flagged unless D's ingest ran, every expected venue
    -- reported and every venue's day was watched whole
    ran.ingested_date is not null as day_ingested,
    coalesce(ran.ingested_date is not null
             and exchanges_reporting >= (select count(*) from expected where expected.asset = baseline.asset)
             and c.completeness = 'complete', false) as is_complete_day
from baseline
left join completeness as c using (date, asset)
left join (select date as ingested_date from {{ ref('int_days_ingested') }} where family = 'liquidations') as ran
    on ran.ingested_date = baseline.date
