{{ config(materialized='table') }}
-- What each Bitcoin transaction of the day did to each registry entity, per provider: the entity's outputs
-- minus the entity's outputs it spent. A transfer between two addresses of one entity nets to minus its
-- fee, so internal moves never count as flows; a payment between two entities counts for both.
-- Transactions come from the runs the balances used, inside [D 00:00, D+1 00:00).
with runs as (
    select distinct date, provider, address, run_id
    from {{ ref('int_address_balances_daily') }}
    where chain = 'bitcoin' and run_id is not null
),

txs as (
    {% for p in onchain_providers('bitcoin') -%}
    select t.provider, r.date, t.txid, t.block_time, t.vin, t.vout
    from {{ ref('stg_' ~ p ~ '__address_txs') }} t
    join runs r on r.provider = t.provider and r.address = t.address and r.date = t.fetch_date and r.run_id = t.run_id
    where t.block_time >= cast(r.date as timestamp) and t.block_time < {{ day_close('r.date') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- a transaction read through several addresses of the run counts once
distinct_txs as (
    select * from txs
    qualify row_number() over (partition by provider, date, txid order by block_time) = 1
),

legs as (
    select provider, date, txid, block_time,
           u.i -> 'prevout' ->> 'scriptpubkey_address' as address,
           -cast(u.i -> 'prevout' ->> 'value' as bigint) as value_sats
    from distinct_txs, unnest(from_json(vin, '["json"]')) as u (i)
    union all
    select provider, date, txid, block_time,
           u.o ->> 'scriptpubkey_address' as address,
           cast(u.o ->> 'value' as bigint) as value_sats
    from distinct_txs, unnest(from_json(vout, '["json"]')) as u (o)
)

select
    l.date,
    r.entity,
    l.provider,
    l.txid,
    min(l.block_time) as block_time,
    sum(l.value_sats) as entity_delta_sats
from legs l
join {{ ref('stg_registry__entity_addresses') }} r on r.chain = 'bitcoin' and r.address = l.address
group by all
