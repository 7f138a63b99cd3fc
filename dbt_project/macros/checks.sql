{#
  The dbt data tests on the marts, as figures.mart_check_results reports them: for each, the mart it
  tests, whether a failure withholds the mart (config meta.withholds) and the relation its failing rows
  were stored in (store_failures, schema audit). A test whose relation does not exist has not run yet
  (a first build selecting part of the project) and is left out rather than reported as passing.
#}
{% macro mart_tests() %}
    {% set out = [] %}
    {% if not execute or model.resource_type == 'unit_test' %}{{ return(out) }}{% endif %}
    {% set stored = {} %}
    {% for row in run_query("select table_schema, table_name from information_schema.tables") %}
        {% do stored.update({(row[0] ~ '.' ~ row[1]) | lower: true}) %}
    {% endfor %}
    {% for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'test') | sort(attribute='name') %}
        {% set tested = graph.nodes.get(node.attached_node or '') %}
        {% if tested and tested.resource_type == 'model' and tested.original_file_path.startswith('models/marts/') %}
            {% if not node.config.store_failures %}
                {{ exceptions.raise_compiler_error("test " ~ node.name ~ " on marts." ~ tested.name
                   ~ " does not store its failures: mart tests report through schema audit (dbt_project.yml)") }}
            {% endif %}
            {% if (node.schema ~ '.' ~ node.alias) | lower in stored %}
                {% set rel = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
                {% do out.append({'name': node.name, 'model': tested.alias or tested.name, 'unique_id': node.unique_id,
                                  'withholds': (node.config.get('meta') or node.get('meta') or {}).get('withholds') is sameas true,
                                  'relation': rel}) %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {{ return(out) }}
{% endmacro %}
