-- Every check of the run in one relation, as publish and the figures read them: the GX results the
-- pipeline wrote (raw tables before the build, the published figures after it) and dbt's tests of the marts.
select run_date, suite, expectation, "table", status, observed_value, severity, checked_at, details
from {{ source_or_empty('audit', 'data_quality_results', {
    'run_date': 'date', 'suite': 'varchar', 'expectation': 'varchar', '"table"': 'varchar', 'status': 'varchar',
    'observed_value': 'varchar', 'severity': 'varchar', 'checked_at': 'timestamptz', 'details': 'json'}) }}
union all
select run_date, suite, expectation, "table", status, observed_value, severity, checked_at, details
from {{ ref('mart_check_results') }}
