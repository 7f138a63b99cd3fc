-- The full node's head block at the start of each run (POST /wallet/getnowblock): the node's state answers of
-- the run are at least this new, so its time stands for when the run's TRX balances were observed.
{%- set cols = {'block_number': 'bigint', 'block_time_ms': 'bigint', 'block_id': 'varchar', 'fetch_date': 'date',
                'run_id': 'varchar', '_file': 'varchar', '_fetched_at': 'timestamptz'} %}
select
    'tron_fullnode' as provider,
    fetch_date,
    run_id,
    block_number,
    {{ ms_to_ts('block_time_ms') }} as block_time,
    block_id
from {{ raw_onchain('tron_fullnode__now_block', cols) }}
qualify row_number() over (partition by fetch_date, run_id order by block_number desc) = 1
