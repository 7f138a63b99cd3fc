{#
  The table describes the run's day: the newest value of `column_name` among the rows up to D's close is
  at most max_age_days (a DATE: counted from D itself) or max_age_hours (a timestamp: counted from D's
  close) old. Only rows up to the close count, so a backfill is judged as of its own day. One failing row
  (the newest value, null when there is none) when it is not.
#}
{% test fresh_at_run_date(model, column_name, max_age_days=none, max_age_hours=none) %}
{%- set close = "cast(" ~ run_day() ~ " as timestamp) + interval 1 day" -%}
{%- if max_age_hours is not none -%}
    {%- set oldest = close ~ " - interval " ~ max_age_hours ~ " hour" -%}
{%- else -%}
    {%- set oldest = "cast(" ~ run_day() ~ " as timestamp) - interval " ~ (max_age_days or 0) ~ " day" -%}
{%- endif %}
select newest, {{ oldest }} as oldest_allowed
from (select max({{ column_name }}) as newest from {{ model }} where {{ column_name }} < {{ close }})
where newest is null or newest < {{ oldest }}
{% endtest %}
