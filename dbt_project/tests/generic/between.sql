{# Values of a column within [min_value, max_value] (either may be left open; nulls pass); with
   `day_column`, only the rows of the run's day are checked. #}
{% test between(model, column_name, min_value=none, max_value=none, day_column=none) %}
select {{ column_name }} from {{ model }}
where {{ column_name }} is not null and (
    false
    {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
    {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
)
{% if day_column is not none %} and {{ on_run_day(day_column) }}{% endif %}
{% endtest %}
