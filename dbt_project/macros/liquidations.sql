{#
  The liquidation feeds: every staging view that delivers liquidations, with its channel and the
  dataset whose landing proves coverage (REST: the ingest run of that dataset; websocket: the collector's
  closed hourly files of it). A venue or channel is added here once its staging view exists.
#}
{% macro liquidation_feeds(channel=none) %}
    {% set feeds = [
        {'exchange': 'okx', 'channel': 'rest', 'model': 'stg_okx__liquidations', 'dataset': 'liquidations'},
        {'exchange': 'deribit', 'channel': 'rest', 'model': 'stg_deribit__liquidations', 'dataset': 'future_trades'},
        {'exchange': 'binance', 'channel': 'websocket', 'model': 'stg_binance__liquidations_ws', 'dataset': 'liquidations_ws'},
        {'exchange': 'bybit', 'channel': 'websocket', 'model': 'stg_bybit__liquidations_ws', 'dataset': 'liquidations_ws'},
        {'exchange': 'okx', 'channel': 'websocket', 'model': 'stg_okx__liquidations_ws', 'dataset': 'liquidations_ws'},
        {'exchange': 'bitmex', 'channel': 'websocket', 'model': 'stg_bitmex__liquidations_ws', 'dataset': 'liquidations_ws'},
        {'exchange': 'deribit', 'channel': 'websocket', 'model': 'stg_deribit__liquidations_ws', 'dataset': 'liquidations_ws'},
    ] %}
    {{ return(feeds if channel is none else feeds | selectattr('channel', 'equalto', channel) | list) }}
{% endmacro %}


{# A stable id for venues that give none: a hash of the fields that make the order what it is. #}
{% macro liquidation_hash(exchange, columns) -%}
    md5(concat_ws('|', '{{ exchange }}', {% for c in columns %}cast({{ c }} as varchar){% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}


{#
  The (exchange, asset) pairs whose liquidations the configuration asks for: enabled sources with a
  `liquidations:` entry, for each of their `assets`. Read at run time from the sources file the pipeline
  uses (DWH_SOURCES, else config/sources.yml), so config stays the one place a venue is switched on.
  The path goes through macros/ because that directory is the project's own even when a runner (cosmos)
  links the project into a temporary folder; `var('liquidation_venues')` ({exchange: [assets]}) overrides.
#}
{% macro liquidation_expected_pairs() %}
    {% set override = var('liquidation_venues', none) %}
    {% set pairs = [] %}
    {% if override is not none %}
        {% for exchange, assets in override.items() %}
            {% for asset in assets %}{% do pairs.append((exchange, asset)) %}{% endfor %}
        {% endfor %}
        {{ return(pairs) }}
    {% endif %}
    {% if not execute %}{{ return(pairs) }}{% endif %}
    {% set path = env_var('DWH_SOURCES', '') %}
    {% if not path %}
        {% set path = 'macros/../../config/sources.yml' %}
    {% elif not path.startswith('/') %}
        {% set path = 'macros/../../' ~ path %}
    {% endif %}
    {% set text = run_query("select content from read_text('" ~ path | replace("'", "''") ~ "')").columns[0].values()[0] %}
    {% set doc = fromyaml(text) or {} %}
    {% for name, block in (doc.get('sources') or {}).items() %}
        {% if block and block.get('enabled', true) and block.get('liquidations') %}
            {% for asset in block.get('assets') or [] %}{% do pairs.append((name, asset)) %}{% endfor %}
        {% endif %}
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
