{#
  The liquidation feeds: every staging view that delivers liquidations, with its channel and the
  dataset whose landing proves coverage (REST: the covered windows of that dataset's runs; websocket: the
  collector's closed hourly files of it). A venue or channel is added here once its staging view exists.
  `sampled`: the venue documents that the feed shows only some liquidations, so a total built on it is a
  lower bound (docs/verification.md, "Sampled feeds"):
    - Binance forceOrder: "For each symbol, only the latest one liquidation order within 1000ms will be pushed
      as the snapshot." https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Liquidation-Order-Streams
    - OKX liquidation-orders channel: "For futures and swaps, each contract will only show a maximum of one order
      per one-second period. This data doesn't represent the total number of liquidations on OKX."
      https://www.okx.com/docs-v5/en/#public-data-websocket-liquidation-orders-channel (the current page keeps
      only the second sentence).
  Bybit allLiquidation ("push all liquidations that occur on Bybit", https://bybit-exchange.github.io/docs/v5/websocket/public/all-liquidation),
  BitMEX `liquidation` (liquidation orders as they enter the book) and Deribit's trades channel state no sampling.
#}
{% macro liquidation_feeds(channel=none) %}
    {% set feeds = [
        {'exchange': 'okx', 'channel': 'rest', 'model': 'stg_okx__liquidations', 'dataset': 'liquidations', 'sampled': false},
        {'exchange': 'deribit', 'channel': 'rest', 'model': 'stg_deribit__liquidations', 'dataset': 'future_trades', 'sampled': false},
        {'exchange': 'binance', 'channel': 'websocket', 'model': 'stg_binance__liquidations_ws', 'dataset': 'liquidations_ws', 'sampled': true},
        {'exchange': 'bybit', 'channel': 'websocket', 'model': 'stg_bybit__liquidations_ws', 'dataset': 'liquidations_ws', 'sampled': false},
        {'exchange': 'okx', 'channel': 'websocket', 'model': 'stg_okx__liquidations_ws', 'dataset': 'liquidations_ws', 'sampled': true},
        {'exchange': 'bitmex', 'channel': 'websocket', 'model': 'stg_bitmex__liquidations_ws', 'dataset': 'liquidations_ws', 'sampled': false},
        {'exchange': 'deribit', 'channel': 'websocket', 'model': 'stg_deribit__liquidations_ws', 'dataset': 'liquidations_ws', 'sampled': false},
    ] %}
    {{ return(feeds if channel is none else feeds | selectattr('channel', 'equalto', channel) | list) }}
{% endmacro %}


{# A stable id for venues that give none: a hash of the fields that make the order what it is. #}
{% macro liquidation_hash(exchange, columns) -%}
    md5(concat_ws('|', '{{ exchange }}', {% for c in columns %}cast({{ c }} as varchar){% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}


{#
  The (exchange, asset) pairs whose liquidations the configuration asks for: var `liquidation_venues`
  ({exchange: [assets]}), which dwh/dbt.py derives from the sources file the pipeline uses (enabled sources
  with a `liquidations:` entry), so config stays the one place a venue is switched on and dbt reads no file
  outside its project.
#}
{% macro liquidation_expected_pairs() %}
    {% set pairs = [] %}
    {% if not execute %}{{ return(pairs) }}{% endif %}
    {% set venues = var('liquidation_venues', none) %}
    {% if venues is none %}
        {{ exceptions.raise_compiler_error(
            "var liquidation_venues is not set: it says which venues' liquidations are expected "
            ~ "({exchange: [assets]}); run dbt through dwh.dbt.run_dbt, which passes it from the sources file, "
            ~ "or pass --vars \"{liquidation_venues: {okx: [BTC, ETH]}}\" yourself") }}
    {% endif %}
    {% for exchange, assets in venues.items() %}
        {% for asset in assets %}{% do pairs.append((exchange, asset)) %}{% endfor %}
    {% endfor %}
    {{ return(pairs | sort) }}
{% endmacro %}


{# The expected pairs as a relation (exchange, asset); empty but typed when nothing is configured. #}
{% macro liquidation_expected_relation() -%}
    {%- set pairs = liquidation_expected_pairs() -%}
    {%- if pairs -%}
    select * from (values {% for e, a in pairs %}('{{ e }}', '{{ a }}'){% if not loop.last %}, {% endif %}{% endfor %}) as t(exchange, asset)
    {%- else -%}
    select cast(null as varchar) as exchange, cast(null as varchar) as asset where false
    {%- endif -%}
{%- endmacro %}
