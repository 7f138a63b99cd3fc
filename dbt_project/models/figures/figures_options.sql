-- The next option expiry after each day's close, per asset: open interest (coins), its notional (USD) and
-- max pain, summed over the venues listing it (options_expiries_total, is_next_expiry). A venue reports
-- when options_expiries has the expiry from it, observed near the close (is_stale false). No reference
-- covers option chains, so these figures stand on the warehouse's sum alone (single_source at best).
with rules as (
    select distinct expected from {{ ref('figure_rules') }} where family = 'options'
),

expected as (
    select distinct trim(unnest(string_split(expected, ','))) as exchange from rules
),

next_expiry as (
    select snapshot_date as date, asset, expiry, total_oi, notional_usd, max_pain_strike, sources
    from {{ ref('options_expiries_total') }}
    where is_next_expiry
),

venue_days as (
    select n.date, n.asset, e.exchange,
           coalesce(v.total_oi > 0 and not v.is_stale, false) as reporting,
           case when v.is_stale then 'stale' when v.exchange is null then 'does not list it' end as problem
    from next_expiry as n
    cross join expected as e
    left join {{ ref('options_expiries') }} as v
        on v.snapshot_date = n.date and v.asset = n.asset and v.expiry = n.expiry and v.exchange = e.exchange
),

coverage as (
    select date, asset,
           count(*) filter (where reporting) as reporting,
           count(*) as expected_count,
           string_agg(exchange || coalesce(' (' || problem || ')', ''), ', ' order by exchange)
               filter (where not reporting) as missing
    from venue_days
    group by date, asset
)

select n.date, f.figure, n.asset, cast(null as varchar) as entity, 'warehouse' as source,
       case f.figure when 'options_next_expiry_oi' then n.total_oi
                     when 'options_next_expiry_notional_usd' then n.notional_usd
                     else n.max_pain_strike end as value,
       cast(null as double) as comparator,
       nullif(n.sources, '') as contributors,
       cast(c.reporting as integer) as reporting,
       cast(c.expected_count as integer) as expected_count,
       c.missing,
       'expiry ' || strftime(n.expiry, '%Y-%m-%d %H:%M UTC') as note
from next_expiry as n
cross join (values ('options_next_expiry_oi'), ('options_next_expiry_notional_usd'), ('options_next_expiry_max_pain'))
    as f(figure)
left join coverage as c using (date, asset)
