{#
  Tables rebuilt by day range (incremental_strategy='replace_from'): events (liquidations) and daily
  snapshots (option chains). A run rebuilds every row from a start day on: the earliest of run_date -
  lookback, the table's newest day - lookback, and the day before the first day loaded since the table was
  last built (a backfill, a catch-up after days without a build, a venue's day loaded after the others').
  The model selects its rows from that day on; the strategy deletes the table's rows from the same day and
  inserts the new ones, in one transaction. A load touches its day D and the tail of D-1 (pages reaching
  back past midnight), and lookback (var rebuild_lookback_days, default 2) covers both, so the table equals
  a full rebuild; `dbt build --full-refresh` rebuilds everything.
  The days loaded since come from raw.load_log, not from the inputs (reading the inputs' days meant
  evaluating their views over the whole history twice a run: 0.8 s a scan for the option chains at a
  year). The loader numbers its loads in order (`load_seq`) and after each build the model records the
  newest load it saw (post_hook record_rebuild_watermark, into build_state.rebuild_watermarks). Rows of
  day E arrive in the loads of E or E+1, so a load of day L since the last build means a rebuild from
  L-1, whatever the table already holds of L: a venue backfilled into a day the others filled is rebuilt
  too. A table with no watermark yet (built before the load order existed) falls back, once, to the
  rule that came before, which only saw days the table lacked: a load day L whose L or L-1 the table
  lacks (L-1 only within the table's range: nothing precedes the first day) means a rebuild from L-1.
  `time_column` names the row's day (a date or a time); `inputs` the model the rows come from (config
  rebuild_inputs), whose raw tables (walked up the graph) give the load days.
#}
{% macro rebuild_from(inputs, time_column='liquidated_at') %}
    {#- unit tests have no {{ this }}: they test the full build -#}
    {% if not execute or this is none or not is_incremental() %}{{ return(none) }}{% endif %}
    {% set lookback = var('rebuild_lookback_days', 2) | int %}
    {% set run_date = var('run_date', none) %}
    {% set tables = raw_tables_upstream(inputs.identifier) %}
    {% if not tables %}
        {{ exceptions.raise_compiler_error("rebuild_from: no raw table upstream of " ~ inputs.identifier) }}
    {% endif %}
    {% set seen = rebuild_watermark() %}
    {% set upstream %}source || '__' || dataset in ({% for t in tables %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor %}){% endset %}
    {% set sql %}
        {% if seen is none %}
        with mine as (select distinct cast({{ time_column }} as date) as day from {{ this }} where {{ time_column }} is not null),
             loads as (
                 select distinct date as day from {{ source('raw', 'load_log') }}
                 where loaded > 0 and {{ upstream }}
             )
        {% endif %}
        select least(
            {% if run_date %}cast('{{ run_date }}' as date) - {{ lookback }},{% endif %}
            (select cast(max({{ time_column }}) as date) from {{ this }}) - {{ lookback }},
            {% if seen is not none %}
            (select min(date) - 1 from {{ source('raw', 'load_log') }}
             where loaded > 0 and {{ upstream }} and coalesce(load_seq, 0) > {{ seen }})
            {% else %}
            (select min(day) - 1 from loads
             where day not in (select day from mine)
                or (day - 1 not in (select day from mine) and day - 1 >= (select min(day) from mine)))
            {% endif %}
        )
    {% endset %}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{% endmacro %}


{# The newest load_seq this model's last build saw (build_state.rebuild_watermarks), or none. #}
{% macro rebuild_watermark() %}
    {% if adapter.get_relation(database=this.database, schema='build_state', identifier='rebuild_watermarks') is none %}
        {{ return(none) }}
    {% endif %}
    {% set rows = run_query("select load_seq from build_state.rebuild_watermarks where model = '" ~ this.identifier ~ "'").rows %}
    {{ return(rows[0][0] if rows | length else none) }}
{% endmacro %}


{# post_hook of every replace_from model: the newest load it has seen, for its next run's start (above).
   Inside the model's transaction, so a failed build records nothing; nothing loads while dbt holds the
   warehouse, so every load seen by the build is at or below this number and every later one above. #}
{% macro record_rebuild_watermark() %}
    {%- if execute -%}
    {%- set log_rel = source('raw', 'load_log') -%}
    {%- set found = adapter.get_relation(database=log_rel.database, schema=log_rel.schema, identifier=log_rel.identifier) -%}
    {%- if found is not none and 'load_seq' in (adapter.get_columns_in_relation(found) | map(attribute='name') | list) -%}
        create schema if not exists build_state;
        create table if not exists build_state.rebuild_watermarks (model varchar primary key, load_seq bigint);
        insert or replace into build_state.rebuild_watermarks
        select '{{ this.identifier }}', coalesce(max(load_seq), 0) from {{ log_rel }}
    {%- endif -%}
    {%- endif -%}
{% endmacro %}


{# The raw tables (schema raw) a model reads, through every model between: their names as the loader's
   load_log spells them (source__dataset). #}
{% macro raw_tables_upstream(model_name) %}
    {% set found = [] %}
    {% set todo = [] %}
    {% for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name %}
        {% do todo.append(node.unique_id) %}
    {% endfor %}
    {% set seen = [] %}
    {#- breadth first: Jinja has no while loop, so the walk is bounded by the graph's size -#}
    {% for _ in range(graph.nodes | length) if todo %}
        {% set node_id = todo.pop(0) %}
        {% if node_id not in seen %}
            {% do seen.append(node_id) %}
            {% for dep in graph.nodes[node_id].depends_on.nodes %}
                {% if dep.startswith('source.') %}
                    {% set src = graph.sources[dep] %}
                    {% if src.schema == 'raw' and src.identifier not in found %}{% do found.append(src.identifier) %}{% endif %}
                {% elif dep in graph.nodes %}
                    {% do todo.append(dep) %}
                {% endif %}
            {% endfor %}
        {% endif %}
    {% endfor %}
    {{ return(found | sort) }}
{% endmacro %}


{# The model's filter: its rows from the rebuild's start day on (nothing on a full build).
   `ms_column`: the same time as the venue's epoch milliseconds, passed through from the raw column. DuckDB
   cannot invert epoch_ms(), so a filter on the time alone reads every raw row (0.5 s a run for the
   liquidation feeds at a year); on the raw milliseconds it skips the row groups by their zone maps
   (0.03 s). It only adds a condition every kept row meets, since ms = floor(time in ms) and start is a whole
   day. #}
{% macro rebuild_filter(inputs, time_column='liquidated_at', ms_column=none) -%}
    {%- set start = rebuild_from(inputs, time_column) -%}
    {%- if start is not none %} {{ time_column }} >= cast('{{ start }}' as timestamp)
        {%- if ms_column %} and {{ ms_column }} >= epoch_ms(cast('{{ start }}' as timestamp)){% endif %}
    {%- else %} true {% endif -%}
{%- endmacro %}


{% macro get_incremental_replace_from_sql(arg_dict) %}
    {%- set target, source = arg_dict['target_relation'], arg_dict['temp_relation'] -%}
    {%- set time_column = config.get('rebuild_time_column', 'liquidated_at') -%}
    {#- the same start the model's filter used: neither the table nor its inputs changed since -#}
    {%- set start = rebuild_from(ref(config.get('rebuild_inputs')), time_column) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}{% if start is not none %} where {{ time_column }} >= cast('{{ start }}' as timestamp){% endif %};
    insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ source }}
{% endmacro %}
