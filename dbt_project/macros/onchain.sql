{# On-chain providers the models know: provider key (as in config/sources.yml) -> chain. A new provider
   adds its staging views and one entry here. #}
{% macro onchain_providers(chain=none) -%}
    {%- set all = {'mempool_space': 'bitcoin', 'blockstream': 'bitcoin',
                   'eth_rpc_a': 'ethereum', 'eth_rpc_b': 'ethereum', 'trongrid': 'tron',
                   'tron_fullnode': 'tron'} -%}
    {%- set out = {} -%}
    {%- for p, c in all.items() if chain is none or c == chain -%}{%- do out.update({p: c}) -%}{%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{# The run that landed a file: `<run_id>-<seq>.ndjson.gz`. #}
{% macro landed_run_id(file_col) -%}
    regexp_extract({{ file_col }}, '([^/]+)-[0-9]+\.ndjson\.gz$', 1)
{%- endmacro %}

{# The close of a UTC day: D+1 00:00 as a naive UTC timestamp. #}
{% macro day_close(date_col) -%}
    cast({{ date_col }} + interval 1 day as timestamp)
{%- endmacro %}

{# Chain units to coins, in one place: sats, wei, sun and TRC-20 USDT base units. #}
{% macro sats_to_btc(col) -%} (({{ col }}) / 1e8) {%- endmacro %}
{% macro wei_to_eth(col) -%} (cast({{ col }} as double) / 1e18) {%- endmacro %}
{% macro sun_to_trx(col) -%} (({{ col }}) / 1e6) {%- endmacro %}
{% macro usdt_trc20_units(col) -%} (cast({{ col }} as double) / 1e6) {%- endmacro %}

{# A raw table, or an empty relation of the same columns when the provider never loaded (disabled in
   config): a provider switched off must not break the build. #}
{% macro raw_onchain(table, columns) -%}
    {%- set rel = source('raw_onchain', table) -%}
    {%- set found = adapter.get_relation(database=rel.database, schema=rel.schema, identifier=rel.identifier)
                    if execute else rel -%}
    {%- if found is none -%}
        (select
        {%- for name, type in columns.items() %} cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %} where false)
    {%- else -%}
        {{ rel }}
    {%- endif -%}
{%- endmacro %}

{% macro _landing_columns() -%}
    {{ return({'fetch_date': 'date', 'run_id': 'varchar', '_file': 'varchar', '_fetched_at': 'timestamptz'}) }}
{%- endmacro %}

{# --- staging bodies shared by the providers of one API --------------------------------------------- #}
{% macro stg_esplora_address_stats(provider) -%}
{%- set cols = {'address': 'varchar', 'funded_txo_sum': 'bigint', 'spent_txo_sum': 'bigint', 'tx_count': 'bigint'} -%}
{%- do cols.update(_landing_columns()) -%}
select
    '{{ provider }}' as provider,
    address,
    fetch_date,
    run_id,
    funded_txo_sum - spent_txo_sum as balance_sats,
    tx_count,
    _fetched_at as fetched_at
from {{ raw_onchain(provider ~ '__address_stats', cols) }}
{%- endmacro %}

{% macro stg_esplora_address_txs(provider) -%}
{%- set cols = {'request_url': 'varchar', 'txid': 'varchar', 'block_height': 'bigint', 'block_time': 'bigint',
                'fee': 'bigint', 'vin': 'json', 'vout': 'json'} -%}
{%- do cols.update(_landing_columns()) -%}
-- One row per address, transaction and run (a page read twice counts once). `address_delta_sats` is what
-- the transaction did to the address whose history was read: its outputs to it minus the outputs it spent.
with txs as (
    select *, regexp_extract(request_url, '/address/([^/?#]+)/txs', 1) as address
    from {{ raw_onchain(provider ~ '__address_txs', cols) }}
)
select
    '{{ provider }}' as provider,
    address,
    fetch_date,
    run_id,
    txid,
    block_height,
    {{ ms_to_ts('block_time * 1000') }} as block_time,
    fee,
    vin,
    vout,
    coalesce(list_sum([cast(o ->> 'value' as bigint) for o in from_json(vout, '["json"]')
                       if o ->> 'scriptpubkey_address' = address]), 0)
      - coalesce(list_sum([cast(i -> 'prevout' ->> 'value' as bigint) for i in from_json(vin, '["json"]')
                           if i -> 'prevout' ->> 'scriptpubkey_address' = address]), 0) as address_delta_sats
from txs
qualify row_number() over (partition by address, txid, fetch_date, run_id order by _fetched_at desc, _file desc) = 1
{%- endmacro %}

{% macro _rpc_calls(provider) -%}
{%- set cols = {'call_id': 'varchar', 'result': 'varchar'} -%}
{%- do cols.update(_landing_columns()) -%}
{{ raw_onchain(provider ~ '__rpc_calls', cols) }}
{%- endmacro %}

{% macro stg_eth_rpc_blocks(provider) -%}
-- The blocks the run looked at while finding the close block (eth_getBlockByNumber answers).
select
    '{{ provider }}' as provider,
    fetch_date,
    run_id,
    cast(json_extract_string(result, '$.number') as bigint) as block_number,
    {{ ms_to_ts("cast(json_extract_string(result, '$.timestamp') as bigint) * 1000") }} as block_time,
    json_extract_string(result, '$.hash') as block_hash
from {{ _rpc_calls(provider) }}
where call_id like 'block:%' and json_valid(result)
{%- endmacro %}

{% macro stg_eth_rpc_balances(provider) -%}
-- eth_getBalance answers; the call id names the address and the block (`balance:<address>@<block>`).
select
    '{{ provider }}' as provider,
    fetch_date,
    run_id,
    lower(regexp_extract(call_id, '^balance:([^@]+)@', 1)) as address,
    cast(regexp_extract(call_id, '@(0x[0-9a-fA-F]+)$', 1) as bigint) as block_number,
    try_cast(result as hugeint) as balance_wei
from {{ _rpc_calls(provider) }}
where call_id like 'balance:%'
{%- endmacro %}
