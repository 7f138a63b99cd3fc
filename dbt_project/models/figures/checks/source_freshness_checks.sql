-- The latest `dbt source freshness` result per run date and source table (dwh.freshness loads them).
select
    run_date,
    source_name,
    table_name,
    schema_name || '.' || table_name as relation,
    status,
    max_loaded_at,
    age_hours,
    warn_after_hours,
    checked_at
from {{ source_or_empty('audit', 'source_freshness', {
    'run_date': 'date', 'source_name': 'varchar', 'table_name': 'varchar', 'schema_name': 'varchar',
    'status': 'varchar', 'max_loaded_at': 'timestamptz', 'age_hours': 'double', 'warn_after_hours': 'double',
    'checked_at': 'timestamptz'}) }}
qualify row_number() over (partition by run_date, source_name, table_name order by checked_at desc) = 1
