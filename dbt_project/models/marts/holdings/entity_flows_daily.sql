-- Bitcoin flows of each registry entity per day, from the providers' transaction histories: inflow is
-- what transactions added to the entity, outflow what they took (fees included), internal transfers net
-- to their fee. A provider counts only when its histories cover the whole day for every tracked address.
-- Status: verified (two or more complete providers agree), disputed (they do not), single_source (one
-- complete provider), unverified (none: the figures are NULL). Ethereum and Tron balances come from state
-- reads without histories, so they have no flows here.
with per_provider as (
    select * from {{ ref('int_entity_flows_summed') }}
),

compared as (
    select
        date,
        entity,
        count(*) filter (where complete) as provider_count,
        avg(inflow) filter (where complete) as inflow,
        avg(outflow) filter (where complete) as outflow,
        max(tx_count) filter (where complete) as tx_count,
        max(inflow) filter (where complete) - min(inflow) filter (where complete) as inflow_spread,
        max(outflow) filter (where complete) - min(outflow) filter (where complete) as outflow_spread,
        max(greatest(inflow, outflow)) filter (where complete) as largest,
        string_agg(provider, ',' order by provider) filter (where complete) as sources
    from per_provider
    group by all
)

select
    date,
    entity,
    'bitcoin' as chain,
    'BTC' as asset,
    round(inflow, 8) as inflow,
    round(outflow, 8) as outflow,
    round(inflow - outflow, 8) as net,
    tx_count,
    provider_count,
    case when provider_count >= 2 then
        greatest(inflow_spread, outflow_spread) <= {{ var('onchain_balance_tolerance') }} * largest + 1e-8
    end as providers_agree,
    case
        when provider_count = 0 then 'unverified'
        when provider_count = 1 then 'single_source'
        when greatest(inflow_spread, outflow_spread) > {{ var('onchain_balance_tolerance') }} * largest + 1e-8
            then 'disputed'
        else 'verified'
    end as verification_status,
    sources
from compared
