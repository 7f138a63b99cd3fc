-- Each entity's balance per day and asset (entity_holdings_daily). The providers of each address are
-- compared there, address by address, and that judgement is carried over as is (own_status, own_reason)
-- rather than judged twice; coverage counts the entity's addresses with a balance.
select
    date,
    'entity_balance' as figure,
    asset,
    entity,
    'warehouse' as source,
    balance as value,
    cast(null as double) as comparator,
    nullif(sources, '') as contributors,
    cast(addresses_with_data as integer) as reporting,
    cast(addresses_tracked as integer) as expected_count,
    case when addresses_with_data < addresses_tracked
         then (addresses_tracked - addresses_with_data) || ' of ' || addresses_tracked || ' addresses without a balance'
    end as missing,
    case when balance is null then 'no address of the entity has a balance' end as note,
    verification_status as own_status,
    status_reason as own_reason,
    cast(provider_count as integer) as own_independent
from {{ ref('entity_holdings_daily') }}
