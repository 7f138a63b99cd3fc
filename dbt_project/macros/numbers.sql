{#
  A double rounded to `digits` significant digits. Sums of doubles depend on the order rows arrive in
  (storage order after a reload, parallel aggregation); rounding far below any venue's precision makes
  a figure the same number however it was summed, so reruns and backfills give identical marts.
#}
{% macro round_significant(x, digits=13) -%}
    case when {{ x }} is null or {{ x }} = 0 or not isfinite({{ x }}) then {{ x }}
         else round({{ x }}, cast({{ digits }} - 1 - floor(log10(abs({{ x }}))) as integer)) end
{%- endmacro %}


{#
  A sum of doubles that does not depend on row order: added as DECIMAL(38, scale), exactly, then back to
  double. For amounts already rounded to `scale` decimals (notional_usd is rounded to 6 in staging) it is
  the exact sum; a plain double sum changes in its last bits with the order rows arrive in (a reload, an
  incremental build, parallel threads), and then its rounding can flip.
#}
{% macro exact_sum(x, scale=6, filter=none) -%}
    cast({{ exact_decimal_sum(x, scale, filter) }} as double)
{%- endmacro %}


{# The same sum left DECIMAL(38, scale): for a table of partial sums that a mart adds up later, exactly. #}
{% macro exact_decimal_sum(x, scale=6, filter=none) -%}
    sum(cast({{ x }} as decimal(38, {{ scale }}))){% if filter %} filter (where {{ filter }}){% endif %}
{%- endmacro %}
