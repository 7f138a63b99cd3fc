"""Where things live and which sources are configured.

`DWH_SOURCES` names the sources file (default `config/sources.yml`), `DWH_DATA_DIR` the data
directory (default `./data`). Secrets never live in the file: a source names the env var that
holds its key (`api_key_env`), or an Airflow connection `dwh_<source>` supplies it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """The configuration names something that does not exist or is malformed."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    enabled: bool
    kind: str
    base_url: str
    assets: tuple[str, ...]
    requests_per_second: float
    ws_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def url(self, key: str) -> str:
        """Another configured base URL of this source (e.g. `options_base_url`)."""
        value = self.extra.get(key)
        if not value:
            raise ConfigError(f"source {self.name!r} has no {key!r} in its configuration")
        return str(value)

    def api_key(self) -> str | None:
        """The source's key, from the env var it names or the Airflow connection `dwh_<name>`."""
        env_name = self.extra.get("api_key_env")
        if env_name and os.environ.get(env_name):
            return os.environ[env_name]
        conn_env = f"AIRFLOW_CONN_DWH_{self.name.upper()}"
        if os.environ.get(conn_env):
            # Airflow's URI form keeps the key in the password part.
            from urllib.parse import unquote, urlparse

            return unquote(urlparse(os.environ[conn_env]).password or "") or None
        return None


def sources_path() -> Path:
    return Path(os.environ.get("DWH_SOURCES") or PROJECT_ROOT / "config" / "sources.yml")


def data_dir() -> Path:
    path = Path(os.environ.get("DWH_DATA_DIR") or PROJECT_ROOT / "data")
    return path.resolve()


def warehouse_path() -> Path:
    return data_dir() / "warehouse.duckdb"


def load_sources(path: Path | str | None = None) -> dict[str, SourceConfig]:
    path = Path(path) if path else sources_path()
    if not path.exists():
        raise ConfigError(f"sources file not found: {path}")
    doc = yaml.safe_load(path.read_text()) or {}
    raw = doc.get("sources")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{path}: expected a non-empty mapping under 'sources:'")
    out: dict[str, SourceConfig] = {}
    known = {"enabled", "kind", "base_url", "ws_url", "assets", "rate_limit"}
    for name, block in raw.items():
        if name != name.lower():
            raise ConfigError(f"{path}: source keys are lower-case, got {name!r}")
        if not isinstance(block, dict) or "base_url" not in block:
            raise ConfigError(f"{path}: source {name!r} needs at least base_url")
        rate = (block.get("rate_limit") or {}).get("requests_per_second", 5)
        out[name] = SourceConfig(
            name=name,
            enabled=bool(block.get("enabled", True)),
            kind=str(block.get("kind", "venue")),
            base_url=str(block["base_url"]).rstrip("/"),
            ws_url=block.get("ws_url"),
            assets=tuple(block.get("assets") or ()),
            requests_per_second=float(rate),
            extra={k: v for k, v in block.items() if k not in known},
        )
    return out


def enabled_sources(kind: str | None = None, path: Path | str | None = None) -> list[SourceConfig]:
    return [s for s in load_sources(path).values() if s.enabled and (kind is None or s.kind == kind)]


def get_source(name: str, path: Path | str | None = None) -> SourceConfig:
    sources = load_sources(path)
    if name not in sources:
        raise ConfigError(f"unknown source {name!r}; configured: {', '.join(sorted(sources))}")
    return sources[name]
