-- A TRON full node's POST /wallet/getaccount answers. The node prints the account in protobuf's JSON form,
-- which leaves out default values: no `balance` means 0 TRX, and `{}` is an address never activated (zero,
-- not unknown; int_address_balances_daily refuses it for an account seen before). A renamed `balance`
-- also reads as 0 here; the other Tron provider's answer for the same address is what catches it.
{%- set cols = {'address': 'varchar', 'account_address': 'varchar', 'balance_sun': 'bigint',
                'create_time_ms': 'bigint', 'fetch_date': 'date', 'run_id': 'varchar', '_file': 'varchar',
                '_fetched_at': 'timestamptz'} %}
select
    'tron_fullnode' as provider,
    address,
    fetch_date,
    run_id,
    account_address is not null as account_exists,
    {{ sun_to_trx('coalesce(balance_sun, 0)') }} as trx_balance
from {{ raw_onchain('tron_fullnode__accounts', cols) }}
