-- One row per dbt data test on a marts model, for the run date: the tests' failing rows are stored in
-- schema audit (store_failures, dbt_project.yml), and their count is the observed value. A test whose
-- `meta.withholds` is true fails as severity 'error': publish withholds that mart and the figures built on
-- it turn 'unverified' (docs/verification.md). It refers to every mart so that `dbt build` runs it after
-- all of their tests: the marts are the project's var mart_domains (dbt_project.yml), a static list because
-- dbt resolves refs when it parses, before the graph of models exists.
-- Kept per run date, as the GX results are: dbt keeps only the latest failing rows, and a day's figures,
-- rebuilt by a later run, must still see the checks of their own run. A rerun of D replaces D's rows; a
-- full refresh of the project leaves them (full_refresh=false): they are a record, not derived data.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='run_date',
          full_refresh=false, on_schema_change='fail') }}
{%- for name in var('mart_domains') %}
-- depends_on: {{ ref(name) }}
{%- endfor %}
{#- a mart left off the list could be reported before its tests ran: the build stops on it instead #}
{%- if execute %}
{%- for node in graph.nodes.values() if node.resource_type == 'model'
        and node.original_file_path.startswith('models/marts/') and node.name not in var('mart_domains') %}
{{- exceptions.raise_compiler_error("marts." ~ node.name ~ " is not in the var mart_domains (dbt_project.yml): "
    ~ "list it with the kind of input that feeds it") }}
{%- endfor %}
{%- endif %}
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
