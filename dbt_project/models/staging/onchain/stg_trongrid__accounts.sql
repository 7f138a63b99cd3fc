-- TronGrid account answers. `data` is empty for an account that never existed: zero, not unknown.
-- USDT is the TRC-20 contract TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t (6 decimals); other tokens are not read.
-- The account is read from the answer as landed (_record): rows loaded before the typed columns
-- (account_address, balance_sun, trc20) existed carry only that.
{%- set cols = {'request_url': 'varchar', 'success': 'boolean', 'observed_at_ms': 'bigint', '_record': 'json',
                'fetch_date': 'date', 'run_id': 'varchar', '_file': 'varchar', '_fetched_at': 'timestamptz'} %}
with answers as (
    select request_url, success, observed_at_ms, fetch_date, run_id, json_extract(_record, '$.data') as data
    from {{ raw_onchain('trongrid__accounts', cols) }}
),

accounts as (
    select *, regexp_extract(request_url, '/v1/accounts/([^/?#]+)', 1) as address,
           coalesce(json_extract(data, '$[0].trc20'), '[]') as trc20_tokens
    from answers
)
select
    'trongrid' as provider,
    address,
    fetch_date,
    run_id,
    {{ ms_to_ts('observed_at_ms') }} as observed_at,
    success,
    json_array_length(data) > 0 as account_exists,
    {{ sun_to_trx("coalesce(cast(json_extract_string(data, '$[0].balance') as bigint), 0)") }} as trx_balance,
    {{ usdt_trc20_units("coalesce(list_sum(
        [cast(json_extract_string(t, '$.TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t') as hugeint)
         for t in from_json(trc20_tokens, '[\"json\"]')]), 0)") }} as usdt_balance
from accounts
