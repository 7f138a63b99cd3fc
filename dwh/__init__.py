"""Orchestration steps shared by the Airflow DAG, the `dwh` CLI and the demo."""
