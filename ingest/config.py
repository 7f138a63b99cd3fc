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
    """The configuration names something that does not exist or is malformed.

    `problems` holds one line per mistake (file, source, key, what is wrong); str() is all of them.
    """

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


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


def display_path(path: Path) -> str:
    """The file as a user would name it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def load_sources(path: Path | str | None = None) -> dict[str, SourceConfig]:
    """The sources file, validated against ingest/config_schema.py before anything uses it.

    Every problem is one line `<file>: sources.<source>.<key>: <what is wrong>`; all of them are
    raised together (ConfigError.problems) so one run of `dwh run` shows every mistake at once.
    """
    from ingest.config_schema import validate_sources
    from ingest.venues import MODULES

    path = Path(path) if path else sources_path()
    if not path.exists():
        raise ConfigError(f"sources file not found: {path}")
    shown = display_path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{shown}: not valid YAML: {' '.join(str(exc).split())}") from None
    valid, problems = validate_sources(doc, MODULES)
    if problems:
        lines = [f"{shown}: {p}" for p in problems]
        raise ConfigError("\n".join(lines), problems=lines)
    out: dict[str, SourceConfig] = {}
    known = {"enabled", "kind", "base_url", "ws_url", "assets", "rate_limit"}
    for name, model in valid.items():
        block = model.model_dump(exclude_unset=True)
        out[name] = SourceConfig(
            name=name,
            enabled=model.enabled,
            kind=model.kind,
            base_url=model.base_url,
            ws_url=getattr(model, "ws_url", None),
            assets=tuple(getattr(model, "assets", ()) or ()),
            requests_per_second=float(model.rate_limit.requests_per_second),
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
