{#
  The verification rules (the `families` of config/tolerances.yml), passed as var `figure_rules` by
  dwh/dbt.py (DWH_TOLERANCES names another file there): the one place they live, read by no macro here.
#}
{% macro figure_rules() %}
    {% if not execute %}{{ return({}) }}{% endif %}
    {% set rules = var('figure_rules', none) %}
    {% if rules is none %}
        {{ exceptions.raise_compiler_error(
            "var figure_rules is not set: it holds the verification rules (the `families` of "
            ~ "config/tolerances.yml); run dbt through dwh.dbt.run_dbt, which passes them, or pass "
            ~ "--vars \"{figure_rules: {...}}\" yourself") }}
    {% endif %}
    {{ return(rules) }}
{% endmacro %}


{# One row per figure with its family's rules; lists become comma-separated text. #}
{% macro figure_rules_relation() -%}
    {%- set rows = [] -%}
    {%- for family, f in (figure_rules().items() | sort) -%}
        {%- for name, r in ((f.get('figures') or {}).items() | sort) -%}
            {%- do rows.append([family, name, r, f]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if rows -%}
    select * from (values
    {%- for family, name, r, f in rows %}
        ({{ dbt.string_literal(family) }}, {{ dbt.string_literal(name) }}, {{ dbt.string_literal(r.get('label', name)) }},
         {{ dbt.string_literal(r.get('unit', '')) }}, cast({{ r.get('tolerance', 0) }} as double),
         cast({{ r.get('floor', 0) }} as double), {{ dbt.string_literal((f.get('expected') or []) | join(',')) }},
         {{ dbt.string_literal((f.get('references') or []) | join(',')) }},
         {{ dbt.string_literal((f.get('inputs') or []) | join(',')) }}){% if not loop.last %},{% endif %}
    {%- endfor %}
    ) as t(family, figure, label, unit, tolerance, floor, expected, "references", inputs)
    {%- else -%}
    select cast(null as varchar) as family, cast(null as varchar) as figure, cast(null as varchar) as label,
           cast(null as varchar) as unit, cast(null as double) as tolerance, cast(null as double) as floor,
           cast(null as varchar) as expected, cast(null as varchar) as "references", cast(null as varchar) as inputs
    where false
    {%- endif -%}
{%- endmacro %}


{#
  A source table that may not exist yet (an optional aggregator never loaded, a check table not yet
  written): the table when it exists, else an empty stand-in with the given columns, so the views build
  and simply have no rows.
#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {%- set rel = source(source_name, table_name) -%}
    {#- a unit test's source() is its fixture rows (a CTE), not a table to look up -#}
    {%- if execute and model.resource_type != 'unit_test' and adapter.get_relation(database=rel.database, schema=rel.schema, identifier=rel.identifier) is none -%}
    (select {% for name, type in columns.items() %}cast(null as {{ type }}) as {{ name }}{% if not loop.last %}, {% endif %}{% endfor %} where false)
    {%- else -%}
    {{ rel }}
    {%- endif -%}
{%- endmacro %}


{# Relative deviation of a reference from the warehouse's value; the floor keeps near-zero figures sane. #}
{% macro relative_deviation(reference, value, floor) -%}
    abs({{ reference }} - {{ value }}) / nullif(greatest(abs({{ value }}), {{ floor }}), 0)
{%- endmacro %}
