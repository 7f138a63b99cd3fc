-- The entity registry (seed built by scripts/build_entity_registry.py). Ethereum addresses compare in
-- lower case; Bitcoin and Tron addresses are case-sensitive and kept as written.
select
    entity,
    category,
    chain,
    case when chain = 'ethereum' then lower(address) else address end as address,
    citation,
    cast(added_on as date) as added_on
from {{ ref('entity_addresses') }}
