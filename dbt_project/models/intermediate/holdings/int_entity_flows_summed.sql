-- Per day, entity and Bitcoin provider: the day's inflow and outflow (coins), known only when the
-- provider's histories of every tracked address of the entity reach back before the day's start.
with coverage as (
    select b.date, r.entity, b.provider,
           count(*) as addresses_tracked,
           count(*) filter (where b.flows_covered) as addresses_covered
    from {{ ref('int_address_balances_daily') }} b
    join {{ ref('stg_registry__entity_addresses') }} r on r.chain = b.chain and r.address = b.address
    where b.chain = 'bitcoin'
    group by all
),

sums as (
    select date, entity, provider,
           sum(greatest(entity_delta_sats, 0)) as inflow_sats,
           sum(greatest(-entity_delta_sats, 0)) as outflow_sats,
           count(*) as tx_count
    from {{ ref('int_entity_transfers_netted') }}
    group by all
)

select
    c.date,
    c.entity,
    c.provider,
    c.addresses_tracked,
    c.addresses_covered,
    c.complete,
    case when c.complete then {{ sats_to_btc('coalesce(s.inflow_sats, 0)') }} end as inflow,
    case when c.complete then {{ sats_to_btc('coalesce(s.outflow_sats, 0)') }} end as outflow,
    case when c.complete then coalesce(s.tx_count, 0) end as tx_count
from (select *, addresses_covered = addresses_tracked as complete from coverage) c
left join sums s on s.date = c.date and s.entity = c.entity and s.provider = c.provider
