"""The entity registry as the ingest sees it: which addresses a provider should read.

The registry is the dbt seed `dbt_project/seeds/entity_addresses.csv` (built by
scripts/build_entity_registry.py). A provider's block in the sources file names its `chain` and may
narrow the registry with `entities: [..]` (the demo reads a documented subset to stay fast) or point
at another file with `registry: path` (relative paths are taken from the project root).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ingest.config import PROJECT_ROOT, ConfigError, SourceConfig

DEFAULT_REGISTRY = PROJECT_ROOT / "dbt_project" / "seeds" / "entity_addresses.csv"


@dataclass(frozen=True)
class Holding:
    entity: str
    chain: str
    address: str


def registry_path(source: SourceConfig) -> Path:
    value = source.extra.get("registry")
    if not value:
        return DEFAULT_REGISTRY
    path = Path(str(value))
    return path if path.is_absolute() else PROJECT_ROOT / path


def read_registry(path: Path) -> list[Holding]:
    if not path.exists():
        raise ConfigError(f"entity registry not found: {path}")
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"entity", "chain", "address"} - set(reader.fieldnames or ())
        if missing:
            raise ConfigError(f"{path}: registry lacks columns {sorted(missing)}")
        return [Holding(r["entity"].strip(), r["chain"].strip(), r["address"].strip()) for r in reader
                if r["address"].strip()]


def addresses_for(source: SourceConfig) -> list[str]:
    """The distinct addresses of the provider's chain (and entities, when narrowed), in registry order."""
    chain = source.extra.get("chain")
    if not chain:
        raise ConfigError(f"source {source.name!r} needs `chain:` (bitcoin, ethereum or tron)")
    wanted = source.extra.get("entities")
    if wanted is not None and not isinstance(wanted, list):
        raise ConfigError(f"source {source.name!r}: `entities` must be a list of entity names")
    holdings = read_registry(registry_path(source))
    if wanted:
        unknown = sorted(set(wanted) - {h.entity for h in holdings})
        if unknown:
            raise ConfigError(f"source {source.name!r}: entities not in the registry: {unknown}")
    seen: dict[str, None] = {}
    for h in holdings:
        if h.chain == chain and (not wanted or h.entity in wanted):
            seen.setdefault(h.address, None)
    return list(seen)
