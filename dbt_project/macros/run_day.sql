{#
  The run's day D as a DATE literal, for checks scoped to it (a mart test that concerns the day being
  published rather than the whole history). Without var run_date there is no D to check: it fails.
#}
{% macro run_day() -%}
    {%- set day = var('run_date', none) -%}
    {%- if day is none and not execute -%}
        {%- set day = '1970-01-01' -%}  {#- parsing: no run yet, the SQL's shape is all that matters -#}
    {%- elif day is none -%}
        {{ exceptions.raise_compiler_error(
            "a check scoped to the run's day needs var run_date: pass --vars \"{run_date: 'YYYY-MM-DD'}\"") }}
    {%- endif -%}
    date '{{ day }}'
{%- endmacro %}


{# Rows of `column` (a DATE or a TIMESTAMP) that fall on the run's day. #}
{% macro on_run_day(column) -%}
    ({{ column }} >= cast({{ run_day() }} as timestamp) and {{ column }} < cast({{ run_day() }} as timestamp) + interval 1 day)
{%- endmacro %}
