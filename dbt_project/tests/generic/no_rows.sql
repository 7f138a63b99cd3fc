{# Passes when the model is empty: for models that list what needs a look (rejects, mismatches). #}
{% test no_rows(model) %}
select * from {{ model }}
{% endtest %}
