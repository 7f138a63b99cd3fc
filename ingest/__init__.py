"""Getting data in: HTTP client, landing zone, loading into DuckDB raw tables, one module per venue."""
