{# dbt packages cannot be fetched here (only PyPI is reachable), so this replaces dbt_utils' test. #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
