{# Every row satisfies a SQL boolean expression (null counts as satisfied: not_null tests cover nulls);
   with `day_column`, only the rows of the run's day are checked. #}
{% test expression_true(model, expression, day_column=none) %}
select * from {{ model }} where not ({{ expression }})
{% if day_column is not none %} and {{ on_run_day(day_column) }}{% endif %}
{% endtest %}
