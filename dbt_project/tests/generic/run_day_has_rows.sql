{# At least `min_rows` rows on the run's day (those meeting `condition`, when given); one failing row
   with the count when there are fewer. #}
{% test run_day_has_rows(model, date_column, min_rows=1, condition='true') %}
select count(*) as day_rows
from {{ model }}
where {{ on_run_day(date_column) }} and ({{ condition }})
having count(*) < {{ min_rows }}
{% endtest %}
