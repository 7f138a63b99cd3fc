{# Venues send epochs in milliseconds; the warehouse keeps naive UTC timestamps. #}
{% macro ms_to_ts(col) -%} epoch_ms(cast({{ col }} as bigint)) {%- endmacro %}

{# A venue's symbol to its base asset, for the assets this warehouse tracks. #}
{% macro asset_from_symbol(col) -%}
    case when upper({{ col }}) like 'BTC%' or upper({{ col }}) like 'XBT%' then 'BTC'
         when upper({{ col }}) like 'ETH%' then 'ETH' end
{%- endmacro %}
