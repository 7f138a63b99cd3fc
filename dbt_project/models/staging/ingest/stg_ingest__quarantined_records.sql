select source, dataset, date, file, record_index, reason, payload
from {{ source('raw', 'quarantine') }}
