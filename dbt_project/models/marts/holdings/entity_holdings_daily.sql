-- What each registry entity held at the close of each day, per chain and asset, with how sure we are.
-- The status looks at every tracked address of the entity on that chain, in this order:
--   disputed      two providers disagree beyond tolerance on some address
--   unverified    some address has no usable balance from any provider (the balance is a partial sum)
--   single_source some address was answered by one provider only
--   verified      every address answered by two or more providers that agree
-- Changes compare complete days only (every address with data on both days). Sums are rounded to 1e-8,
-- the chains' smallest unit the warehouse keeps, so reruns give identical bytes.
with registry as (
    select entity, category, chain, address from {{ ref('stg_registry__entity_addresses') }}
),

addresses as (
    select c.*, r.entity, r.category
    from {{ ref('int_address_balances_compared') }} c
    join registry r on r.chain = c.chain and r.address = c.address
),

answered as (
    select b.date, r.entity, b.chain, b.asset,
           count(distinct b.provider) as provider_count,
           string_agg(distinct b.provider, ',' order by b.provider) as sources
    from {{ ref('int_address_balances_daily') }} b
    join registry r on r.chain = b.chain and r.address = b.address
    where b.has_data
    group by all
),

per_entity as (
    select
        date, entity, category, chain, asset,
        round(sum(balance), 8) as balance,
        count(*) as addresses_tracked,
        count(*) filter (where providers_answered > 0) as addresses_with_data,
        count(*) filter (where address_status = 'disputed') as addresses_disputed,
        count(*) filter (where address_status = 'single_source') as addresses_single_source,
        count(*) filter (where providers_agree is not null) as addresses_compared,
        arg_min(address || ' (' || sources || ': ' || round(balance_low, 8) || ' to ' || round(balance_high, 8) || ')',
                address) filter (where address_status = 'disputed') as disputed_example,
        arg_min(address || ' (' || missing || ')', address) filter (where address_status = 'missing') as missing_example,
        -- what the other providers said instead of a balance (a pruned node, an outage)
        arg_min(address || ' (' || missing || ')', address)
            filter (where address_status = 'single_source' and missing is not null) as single_source_example
    from addresses
    group by all
),

statused as (
    select
        p.*,
        a.provider_count,
        a.sources,
        case
            when p.addresses_disputed > 0 then 'disputed'
            when p.addresses_with_data < p.addresses_tracked then 'unverified'
            when p.addresses_single_source > 0 then 'single_source'
            else 'verified'
        end as verification_status
    from per_entity p
    left join answered a
        on a.date = p.date and a.entity = p.entity and a.chain = p.chain and a.asset = p.asset
),

-- the warehouse's one USD price per asset at the close (BTC, ETH); Tron's assets have none
prices as (
    select date, asset, price_usd from {{ ref('int_prices_daily') }}
)

select
    s.date,
    s.entity,
    s.category,
    s.chain,
    s.asset,
    s.balance,
    case when s.addresses_with_data = s.addresses_tracked and d1.addresses_with_data = d1.addresses_tracked
         then round(s.balance - d1.balance, 8) end as balance_change_1d,
    case when s.addresses_with_data = s.addresses_tracked and d30.addresses_with_data = d30.addresses_tracked
         then round(s.balance - d30.balance, 8) end as balance_change_30d,
    px.price_usd,
    round(s.balance * px.price_usd, 2) as usd_value,
    s.addresses_tracked,
    s.addresses_with_data,
    coalesce(s.provider_count, 0) as provider_count,
    case when s.addresses_compared > 0 then s.addresses_disputed = 0 end as providers_agree,
    s.verification_status,
    case s.verification_status
        when 'disputed' then s.addresses_disputed || ' of ' || s.addresses_tracked
            || ' addresses disputed, e.g. ' || s.disputed_example
        when 'unverified' then case when s.addresses_with_data = 0
                then 'no provider gave a balance for any of its ' || s.addresses_tracked || ' addresses'
                else (s.addresses_tracked - s.addresses_with_data) || ' of ' || s.addresses_tracked
                    || ' addresses without a balance' end
            || ', e.g. ' || s.missing_example
        when 'single_source' then s.addresses_single_source || ' of ' || s.addresses_tracked
            || ' addresses from one provider only (' || coalesce(s.sources, '') || ')'
            || coalesce('; the other: e.g. ' || s.single_source_example, '')
    end as status_reason,
    s.sources,
    -- partial days (docs/verification.md): kept, flagged unless D was ingested and every address answered
    ran.date is not null as day_ingested,
    ran.date is not null and s.addresses_with_data = s.addresses_tracked as is_complete_day,
    -- USD prices come only from the venues: with none enabled the balances still publish, in coins
    case when px.price_usd is null then
        case when not exists (select 1 from prices where prices.date = s.date)
             then 'no enabled price source: no venue reported a USD price for ' || s.date
             else 'the warehouse has no USD price for ' || s.asset end
    end as usd_value_reason
from statused s
left join statused d1
    on d1.entity = s.entity and d1.chain = s.chain and d1.asset = s.asset and d1.date = s.date - 1
left join statused d30
    on d30.entity = s.entity and d30.chain = s.chain and d30.asset = s.asset and d30.date = s.date - 30
left join prices px on px.date = s.date and px.asset = s.asset
left join {{ ref('int_days_ingested') }} as ran on ran.date = s.date and ran.family = 'holdings'
