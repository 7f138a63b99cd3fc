{#
  A double rounded to `digits` significant digits. Sums of doubles depend on the order rows arrive in
  (storage order after a reload, parallel aggregation); rounding far below any venue's precision makes
  a figure the same number however it was summed, so reruns and backfills give identical marts.
#}
{% macro round_significant(x, digits=13) -%}
    case when {{ x }} is null or {{ x }} = 0 or not isfinite({{ x }}) then {{ x }}
         else round({{ x }}, cast({{ digits }} - 1 - floor(log10(abs({{ x }}))) as integer)) end
{%- endmacro %}
