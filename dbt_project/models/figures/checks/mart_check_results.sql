-- One row per dbt data test on a marts model, for the run date: the tests' failing rows are stored in
-- schema audit (store_failures, dbt_project.yml), and their count is the observed value. A test whose
-- `meta.withholds` is true fails as severity 'error': publish withholds that mart and the figures built on
-- it turn 'unverified' (docs/verification.md). It refers to every mart so that `dbt build` runs it after
-- all of their tests; tests/dbt/test_unit_tests.py keeps the list below complete.
-- Kept per run date, as the GX results are: dbt keeps only the latest failing rows, and a day's figures,
-- rebuilt by a later run, must still see the checks of their own run. A rerun of D replaces D's rows; a
-- full refresh of the project leaves them (full_refresh=false): they are a record, not derived data.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='run_date',
          full_refresh=false, on_schema_change='fail') }}
{%- set marts = ['entity_flows_daily', 'entity_holdings_daily', 'fct_liquidations', 'funding_daily',
                 'funding_daily_total', 'funding_rates', 'liquidations_daily', 'liquidations_daily_by_exchange',
                 'open_interest_daily', 'open_interest_daily_total', 'options_expiries', 'options_expiries_total',
                 'prices_daily'] %}
{%- for name in marts %}
-- depends_on: {{ ref(name) }}
{%- endfor %}
{%- set tests = mart_tests() %}
{#- a mart no enabled source feeds is empty by design: its checks are skipped with the reason (dwh/dbt.py) #}
{%- set unfed = var('unfed_marts', {}) %}
{%- if tests %}
{%- for t in tests %}
select
    cast('{{ var("run_date") }}' as date) as run_date,
    'dbt' as suite,
    {{ dbt.string_literal(t.name) }} as expectation,
    {{ dbt.string_literal('marts.' ~ t.model) }} as "table",
{%- if t.model in unfed %}
    'skipped' as status,
    {{ dbt.string_literal(unfed[t.model]) }} as observed_value,
{%- else %}
    case when n = 0 then 'passed' else 'failed' end as status,
    n || ' failing rows' as observed_value,
{%- endif %}
    {{ dbt.string_literal('error' if t.withholds else 'warning') }} as severity,
    {{ run_reference_at() }} as checked_at,
    cast(json_object('test', {{ dbt.string_literal(t.unique_id) }}, 'failing_rows', n) as json) as details
from (select count(*) as n from {{ t.relation }})
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- else %}
select
    cast(null as date) as run_date, cast(null as varchar) as suite, cast(null as varchar) as expectation,
    cast(null as varchar) as "table", cast(null as varchar) as status, cast(null as varchar) as observed_value,
    cast(null as varchar) as severity, cast(null as timestamptz) as checked_at, cast(null as json) as details
where false
{%- endif %}
