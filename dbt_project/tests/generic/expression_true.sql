{# Every row satisfies a SQL boolean expression (null counts as satisfied: not_null tests cover nulls). #}
{% test expression_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}
