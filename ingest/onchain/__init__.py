"""On-chain providers: one module per provider, the same `DATASETS` shape as the venue modules.

The addresses to read come from the entity registry (the dbt seed `entity_addresses.csv`, see
`registry.py`); which chain a provider serves and which entities it reads are in its block of the
sources file (`chain:`, optional `entities:`).
"""
