{# A day-over-day change column agrees with the row's value and the same series' previous day: relative
   (`value / previous - 1`) or absolute (`value - previous`). Rows without a previous day, or whose change is
   null (the model's own rule for an incomplete day), are not judged. One failing row per disagreement. #}
{% test day_change_consistent(model, column_name, value_column, partition_by, date_column='date',
                              relative=true, tolerance=1e-8) %}
with series as (
    select
        {{ date_column }} as day,
        {{ column_name }} as change,
        {{ value_column }} as value,
        lag({{ value_column }}) over (partition by {{ partition_by | join(', ') }} order by {{ date_column }}) as previous,
        lag({{ date_column }}) over (partition by {{ partition_by | join(', ') }} order by {{ date_column }}) as previous_day
    from {{ model }}
)
select * from series
where previous_day = day - 1 and change is not null and previous is not null
{%- if relative %}
    and previous <> 0 and abs(change - (value / previous - 1)) > {{ tolerance }}
{%- else %}
    and abs(change - (value - previous)) > {{ tolerance }}
{%- endif %}
{% endtest %}
