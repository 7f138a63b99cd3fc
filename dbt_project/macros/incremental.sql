{#
  Event tables rebuilt by day range (incremental_strategy='replace_from'). A run rebuilds every event
  from a start day on: the earliest of run_date - lookback, the table's newest day - lookback, and the
  first day the inputs have that the table has not (a backfill, a catch-up after days without a build).
  The model selects its rows from that day on; the strategy deletes the table's rows from the same day
  and inserts the new ones, in one transaction. A load touches its day D and the tail of D-1 (pages
  reaching back past midnight), and lookback (var rebuild_lookback_days, default 2) covers both, so the
  table equals a full rebuild; `dbt build --full-refresh` rebuilds everything.
  `time_column` names the event time; `inputs` the model the rows come from (config rebuild_inputs).
#}
{% macro rebuild_from(inputs, time_column='liquidated_at') %}
    {#- unit tests have no {{ this }}: they test the full build -#}
    {% if not execute or this is none or not is_incremental() %}{{ return(none) }}{% endif %}
    {% set lookback = var('rebuild_lookback_days', 2) | int %}
    {% set run_date = var('run_date', none) %}
    {% set sql %}
        with mine as (select distinct cast({{ time_column }} as date) as day from {{ this }}),
             theirs as (select distinct cast({{ time_column }} as date) as day from {{ inputs }})
        select least(
            {% if run_date %}cast('{{ run_date }}' as date) - {{ lookback }},{% endif %}
            (select max(day) from mine) - {{ lookback }},
            (select min(day) from theirs where day is not null and day not in (select day from mine where day is not null))
        )
    {% endset %}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{% endmacro %}


{# The model's filter: its rows from the rebuild's start day on (nothing on a full build). #}
{% macro rebuild_filter(inputs, time_column='liquidated_at') -%}
    {%- set start = rebuild_from(inputs, time_column) -%}
    {%- if start is not none %} {{ time_column }} >= cast('{{ start }}' as timestamp) {% else %} true {% endif -%}
{%- endmacro %}


{% macro get_incremental_replace_from_sql(arg_dict) %}
    {%- set target, source = arg_dict['target_relation'], arg_dict['temp_relation'] -%}
    {%- set time_column = config.get('rebuild_time_column', 'liquidated_at') -%}
    {#- the same start the model's filter used: neither the table nor its inputs changed since -#}
    {%- set start = rebuild_from(ref(config.get('rebuild_inputs')), time_column) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}{% if start is not none %} where {{ time_column }} >= cast('{{ start }}' as timestamp){% endif %};
    insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ source }}
{% endmacro %}
