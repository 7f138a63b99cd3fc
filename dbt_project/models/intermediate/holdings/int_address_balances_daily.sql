{{ config(materialized='table') }}
-- One row per day, chain, asset, registry address and provider that was asked: the address's balance at
-- the close of the day (D+1 00:00 UTC) as that provider gives it, or NULL with the reason it is missing.
-- A provider is "asked" on a day when it has an ingest run for the day; an address is tracked when its
-- entity has data on that chain on any day (a provider narrowed by `entities:` reads only some), or, on a
-- chain nothing was ever read of, when it is in the registry.
-- Each provider-address-day uses its latest run, and everything within one run only.
{%- set close = day_close('o.fetch_date') %}

with btc_stats as (
    {% for p in onchain_providers('bitcoin') -%}
    select * from {{ ref('stg_' ~ p ~ '__address_stats') }} {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

btc_txs as (
    {% for p in onchain_providers('bitcoin') -%}
    select provider, address, fetch_date, run_id, txid, block_time, address_delta_sats
    from {{ ref('stg_' ~ p ~ '__address_txs') }} {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

btc_runs as (
    select * from btc_stats
    qualify row_number() over (partition by provider, address, fetch_date order by run_id desc) = 1
),

-- The snapshot was taken after the close: take back what the same run's history shows after it. The
-- history is complete back to its oldest transaction read, or entirely when it holds tx_count of them.
btc as (
    select
        o.provider, o.address, o.fetch_date, o.run_id, o.balance_sats, o.tx_count,
        count(t.txid) as txs_read,
        min(t.block_time) as oldest_read,
        coalesce(sum(t.address_delta_sats) filter (where t.block_time >= {{ close }}), 0) as after_close_sats
    from btc_runs o
    left join btc_txs t
        on t.provider = o.provider and t.address = o.address and t.fetch_date = o.fetch_date and t.run_id = o.run_id
    group by all
),

btc_observed as (
    select
        fetch_date as date, 'bitcoin' as chain, 'BTC' as asset, address, provider, run_id,
        {{ sats_to_btc('balance_sats - after_close_sats') }} as balance,
        case
            when txs_read > tx_count then 'history read is newer than the snapshot'
            when txs_read < tx_count and coalesce(oldest_read >= {{ day_close('fetch_date') }}, true)
                then 'history does not reach back to the close'
        end as problem,
        {{ day_close('fetch_date') }} as as_of,
        cast(null as bigint) as block_number,
        txs_read >= tx_count or coalesce(oldest_read < cast(fetch_date as timestamp), false) as flows_covered
    from btc
),

eth_balances as (
    {% for p in onchain_providers('ethereum') -%}
    select * from {{ ref('stg_' ~ p ~ '__balances') }} {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

eth_blocks as (
    {% for p in onchain_providers('ethereum') -%}
    select * from {{ ref('stg_' ~ p ~ '__blocks') }} {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- The balance counts only at a block proven to be the last before the close: its own time is before it
-- and the next block's (read in the same run) is not.
eth_observed as (
    select
        o.fetch_date as date, 'ethereum' as chain, 'ETH' as asset, o.address, o.provider, o.run_id,
        {{ wei_to_eth('o.balance_wei') }} as balance,
        case
            when o.balance_wei is null then 'balance is not a quantity'
            when b.block_time is null or b.block_time >= {{ close }} then 'block is not before the close'
            when n.block_time is null or n.block_time < {{ close }} then 'block is not proven the last before the close'
        end as problem,
        b.block_time as as_of,
        o.block_number,
        cast(null as boolean) as flows_covered
    from eth_balances o
    left join eth_blocks b
        on b.provider = o.provider and b.fetch_date = o.fetch_date and b.run_id = o.run_id
       and b.block_number = o.block_number
    left join eth_blocks n
        on n.provider = o.provider and n.fetch_date = o.fetch_date and n.run_id = o.run_id
       and n.block_number = o.block_number + 1
    qualify row_number() over (partition by o.provider, o.address, o.fetch_date order by o.run_id desc) = 1
),

-- Both Tron providers tell only the present: an observation stands for the close only when it is near it.
-- TronGrid's answer carries its time (meta.at) and both assets; the full node's TRX answer is dated by the
-- head block the same run read first, its USDT answer by the node's clock in the call.
tron_answers as (
    select o.provider, o.address, o.fetch_date, o.run_id, a.asset,
           case a.asset when 'TRX' then o.trx_balance else o.usdt_balance end as balance,
           o.observed_at, o.success, o.account_exists, true as account_answered
    from {{ ref('stg_trongrid__accounts') }} o
    cross join (values ('TRX'), ('USDT')) as a (asset)
    union all
    select o.provider, o.address, o.fetch_date, o.run_id, 'TRX', o.trx_balance,
           b.block_time, true, o.account_exists, true
    from {{ ref('stg_tron_fullnode__accounts') }} o
    left join {{ ref('stg_tron_fullnode__now_block') }} b on b.fetch_date = o.fetch_date and b.run_id = o.run_id
    union all
    -- balanceOf answers for any address, activated or not: there is no "never activated" answer to judge
    select provider, address, fetch_date, run_id, 'USDT', usdt_balance,
           observed_at, coalesce(call_ok and usdt_balance is not null, false), true, false
    from {{ ref('stg_tron_fullnode__trc20_balances') }}
),

tron_observed as (
    select
        o.fetch_date as date, 'tron' as chain, o.asset, o.address, o.provider, o.run_id,
        o.balance,
        case
            when not o.success then 'provider reported failure'
            -- a Tron account is never deleted: "never activated" after it was seen is a lost answer, not a zero
            when not o.account_exists and o.seen_before
                then 'answered as never activated, but the account was seen on an earlier day'
            when o.observed_at is null then 'no observation time in the run'
            when abs(date_diff('second', o.observed_at, {{ close }}))
                 > {{ var('onchain_snapshot_max_age_hours') }} * 3600
                then 'observed ' || o.observed_at || ', too far from the close'
        end as problem,
        o.observed_at as as_of,
        cast(null as bigint) as block_number,
        cast(null as boolean) as flows_covered
    from (
        select *, coalesce(max((account_exists and account_answered)::int) over (
                      partition by provider, address order by fetch_date
                      range between unbounded preceding and interval 1 day preceding), 0) = 1 as seen_before
        from tron_answers
    ) o
    qualify row_number() over (partition by o.provider, o.address, o.fetch_date, o.asset order by o.run_id desc) = 1
),

observed as (
    select * from btc_observed
    union all select * from eth_observed
    union all select * from tron_observed
),

registry as (
    select entity, chain, address from {{ ref('stg_registry__entity_addresses') }}
),

tracked as (
    select distinct r.chain, r.address
    from registry r
    join (select distinct r2.entity, r2.chain
          from observed o join registry r2 on r2.chain = o.chain and r2.address = o.address) p
      on p.entity = r.entity and p.chain = r.chain
    union
    -- Nothing tells which entities the providers of such a chain read (all failed, e.g. on a warehouse's
    -- first day), so every registered one counts: its figures show unanswered instead of vanishing.
    select chain, address from registry where chain not in (select chain from observed)
),

-- every chain's assets, not only those read so far: a chain whose providers all failed keeps its rows
chain_assets as (
    select * from (values ('bitcoin', 'BTC'), ('ethereum', 'ETH'), ('tron', 'TRX'), ('tron', 'USDT')) as t (chain, asset)
),

providers as (
    {% for p, c in onchain_providers().items() -%}
    select '{{ p }}' as provider, '{{ c }}' as chain {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

asked as (
    select r.date, p.chain, p.provider
    from {{ ref('stg_ingest__runs') }} r join providers p on p.provider = r.source
    union
    select date, chain, provider from observed
),

-- why a provider gave nothing on a day: its failed datasets' errors, as the run recorded them (a pruned
-- Ethereum node, an outage), so a missing balance names its cause
failures as (
    select r.source as provider, r.date,
           string_agg(r.dataset || ' failed: ' || left(coalesce(r.error, 'no error recorded'), 300), '; '
                      order by r.dataset) as failure
    from {{ ref('stg_ingest__runs') }} r join providers p on p.provider = r.source
    where r.status = 'failed'
    group by all
),

grid as (
    select a.date, a.chain, ca.asset, t.address, a.provider
    from asked a
    join chain_assets ca on ca.chain = a.chain
    join tracked t on t.chain = a.chain
)

select
    g.date,
    g.chain,
    g.asset,
    g.address,
    g.provider,
    o.problem is null and o.address is not null as has_data,
    case when o.problem is null then o.balance end as balance,
    case when o.address is null then 'no answer from the provider' || coalesce(' (' || f.failure || ')', '')
         else o.problem end as missing_reason,
    o.as_of,
    o.block_number,
    o.run_id,
    o.flows_covered
from grid g
left join observed o
    on o.date = g.date and o.chain = g.chain and o.asset = g.asset and o.address = g.address
   and o.provider = g.provider
left join failures f on f.provider = g.provider and f.date = g.date
