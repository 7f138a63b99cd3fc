{#
  The run's day has about as many rows as the days before it: within [ceil(mean × min_ratio),
  floor(mean × max_ratio)] of the mean count of the previous `days` days that have rows. Without such
  days it only needs a row. One failing row (the day's count and the bounds) when outside.
#}
{% test row_count_vs_previous(model, date_column, days=7, min_ratio=0.5, max_ratio=2.0) %}
with previous as (
    select count(*) as n
    from {{ model }}
    where {{ date_column }} >= cast({{ run_day() }} as timestamp) - interval {{ days }} day
      and {{ date_column }} < cast({{ run_day() }} as timestamp)
    group by cast({{ date_column }} as date)
),

bounds as (
    select case when count(*) > 0 then ceil(avg(n) * {{ min_ratio }}) else 1 end as low,
           case when count(*) > 0 then floor(avg(n) * {{ max_ratio }}) end as high
    from previous
),

today as (
    select count(*) as day_rows from {{ model }} where {{ on_run_day(date_column) }}
)

select today.day_rows, bounds.low, bounds.high
from today cross join bounds
where today.day_rows < bounds.low or today.day_rows > bounds.high
{% endtest %}
