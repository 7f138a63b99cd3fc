{#
  The run's clock. A run for day D judges every age against its own reference instant, never the wall
  clock: a backfill a year late must label D exactly as the run on D+1 did.

  run_reference_at(): var `run_reference_at` (Airflow's data interval end, or the CLI's value) when it
  lies in [D+1 00:00, D+2 00:00), the day after D's close; otherwise D+1 00:30 UTC, when the scheduled run
  reads D. The fallback matters: a manual `airflow dags test D` gets the interval that ends at D 00:30,
  which does not describe D. Without `run_date` there is no D, and nothing to judge: it fails.
#}
{% macro run_reference_at() -%}
    {{ return(adapter.dispatch('run_reference_at')()) }}
{%- endmacro %}

{% macro default__run_reference_at() -%}
    {%- set day = var('run_date', none) -%}
    {%- if day is none -%}
        {{ exceptions.raise_compiler_error(
            "run_reference_at needs var run_date (the day D the run is for); ages are judged against "
            ~ "D's reference instant, never the wall clock: pass --vars \"{run_date: 'YYYY-MM-DD'}\"") }}
    {%- endif -%}
    {%- set dtm = modules.datetime -%}
    {%- set close = dtm.datetime.combine(dtm.date.fromisoformat(day | string), dtm.time(0, 0),
                                         tzinfo=modules.pytz.utc) + dtm.timedelta(days=1) -%}
    {%- set reference = close + dtm.timedelta(minutes=30) -%}
    {%- set given = var('run_reference_at', none) -%}
    {%- if given -%}
        {%- set at = dtm.datetime.fromisoformat((given | string).replace('Z', '+00:00').replace(' ', 'T')) -%}
        {%- if at.tzinfo is none -%}{%- set at = at.replace(tzinfo=modules.pytz.utc) -%}{%- endif -%}
        {%- if close <= at and at < close + dtm.timedelta(days=1) -%}
            {%- set reference = at.astimezone(modules.pytz.utc) -%}
        {%- endif -%}
    {%- endif -%}
    timestamptz '{{ reference.strftime("%Y-%m-%d %H:%M:%S") }}+00'
{%- endmacro %}


{#
  `dbt source freshness` measured on the run's clock. dbt defines freshness as the time "between the most
  recent record, and now" (https://docs.getdbt.com/reference/resource-properties/freshness): its
  default__collect_freshness compares with the machine's clock at check time. A root project's <adapter>__ macro
  takes precedence in dispatch (https://docs.getdbt.com/reference/dbt-jinja-functions/dispatch, "Overriding
  global macros"). Here the newest record among what the runs up to D landed
  (`_date` <= D: a later day's rows are not D's data) is compared with D's reference instant; the
  sources' `loaded_at_field` is each table's own event time (docs/verification.md). A table with no row
  for D or before answers NULL, which dbt reads as "never loaded".
#}
{% macro duckdb__collect_freshness(source, loaded_at_field, filter) %}
  {% call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
    select
      max({{ loaded_at_field }})::timestamptz as max_loaded_at,
      {{ run_reference_at() }} as snapshotted_at
    from {{ source }}
    where _date <= date '{{ var("run_date") }}'
    {% if filter %}
      and ({{ filter }})
    {% endif %}
  {% endcall %}
  {{ return(load_result('collect_freshness')) }}
{% endmacro %}

