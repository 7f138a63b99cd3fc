-- balanceOf(address) on the USDT contract TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t (6 decimals) through the full
-- node's POST /wallet/triggerconstantcontract: `constant_result[0]` is the uint256 in 64 hex digits. More
-- than 32 significant digits (beyond any token supply) is not a balance: NULL, and the address is missing.
{%- set cols = {'address': 'varchar', 'contract_address': 'varchar', 'call_ok': 'boolean', 'balance_hex': 'varchar',
                'observed_at_ms': 'bigint', 'fetch_date': 'date', 'run_id': 'varchar', '_file': 'varchar',
                '_fetched_at': 'timestamptz'} %}
select
    'tron_fullnode' as provider,
    address,
    contract_address,
    fetch_date,
    run_id,
    {{ ms_to_ts('observed_at_ms') }} as observed_at,
    call_ok,
    case when call_ok and regexp_full_match(balance_hex, '0{32}[0-9a-fA-F]{32}')
         then {{ usdt_trc20_units("try_cast('0x' || right(balance_hex, 32) as uhugeint)") }} end as usdt_balance
from {{ raw_onchain('tron_fullnode__trc20_balances', cols) }}
where contract_address = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'
