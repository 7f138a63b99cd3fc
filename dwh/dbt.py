"""Run dbt as a subprocess of this virtualenv, against dbt_project/ and its profiles.yml.

dbt reads nothing of the pipeline's configuration itself: what its models need from it (which venues'
liquidations are expected, the verification rules) goes in as vars (`project_vars`), merged into every
invocation's --vars so the two can never disagree.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import shutil
import subprocess  # argument lists only, never a shell  # nosec B404
import sys
from pathlib import Path

import yaml

from ingest.config import PROJECT_ROOT, data_dir, enabled_sources, sources_path

log = logging.getLogger(__name__)
DBT_DIR = PROJECT_ROOT / "dbt_project"
# dbt commands that render models and so accept --vars (`clean`, `debug`, `deps` do not need them)
VAR_COMMANDS = {"build", "run", "test", "compile", "parse", "source", "ls", "list", "docs", "show", "seed",
                "snapshot", "run-operation", "retry"}


def tolerances_path() -> Path:
    """The verification rules: DWH_TOLERANCES (absolute, or relative to the project root) else the default."""
    given = os.environ.get("DWH_TOLERANCES")
    if not given:
        return PROJECT_ROOT / "config" / "tolerances.yml"
    path = Path(given)
    return path if path.is_absolute() else PROJECT_ROOT / path


def mart_domains() -> dict[str, str]:
    """{mart: the kind of input that feeds it}: the dbt project's var `mart_domains`, the one list of the
    marts (figures.mart_check_results refers to each). A mart no enabled source feeds is empty by design in
    a partial world, so its checks are reported 'skipped' with the reason (never failed, never withheld)."""
    doc = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text()) or {}
    domains = (doc.get("vars") or {}).get("mart_domains")
    if not isinstance(domains, dict) or not domains:
        raise ValueError(f"{DBT_DIR / 'dbt_project.yml'}: vars.mart_domains must map each mart to its domain")
    return {str(mart): str(domain) for mart, domain in domains.items()}


_DOMAIN_DATASETS = {
    "funding": lambda name: name == "funding_rates",
    "prices": lambda name: name in ("mark_price_klines", "index_price_klines", "tickers"),
    "open_interest": lambda name: name in ("open_interest", "open_interest_hist", "tickers",
                                           "instrument_snapshots", "asset_contexts"),
    "options": lambda name: name.startswith("option_"),
    "liquidations": lambda name: name in ("liquidations", "liquidations_ws", "future_trades"),
}


def domain_feeds(domain: str, sources: list) -> list[str]:
    """The enabled sources that feed a mart domain."""
    from ingest.venues import VENUES, datasets_for

    if domain == "holdings":
        return [s.name for s in sources if s.kind == "onchain"]
    if domain == "flows":  # Bitcoin only (marts.entity_flows_daily)
        return [s.name for s in sources if s.kind == "onchain" and s.extra.get("chain") == "bitcoin"]
    if domain not in _DOMAIN_DATASETS:
        raise ValueError(f"unknown mart domain {domain!r} (dbt_project.yml vars.mart_domains); known: "
                         f"{', '.join(sorted([*_DOMAIN_DATASETS, 'holdings', 'flows']))}")
    wanted = _DOMAIN_DATASETS[domain]
    return [s.name for s in sources if s.kind == "venue" and s.name in VENUES
            and any(wanted(ds.name) for ds in datasets_for(s.name))]


def unfed_marts(sources: list) -> dict[str, str]:
    """{mart: why no check of it can mean anything today} for the marts no enabled source feeds."""
    out = {}
    for mart, domain in mart_domains().items():
        if not domain_feeds(domain, sources):
            out[mart] = f"no enabled source for {domain.replace('_', ' ')}"
    return out


def project_vars() -> dict[str, object]:
    """The vars dbt's models take from the pipeline's configuration.

    `liquidation_venues`: {exchange: [assets]} of the enabled sources with a `liquidations:` entry in the
    sources file the pipeline uses (DWH_SOURCES, else config/sources.yml).
    `figure_rules`: the `families` of the verification rules (config/tolerances.yml or DWH_TOLERANCES).
    `unfed_marts`: {mart: reason} for the marts no enabled source feeds (their checks are 'skipped').

    Validating the sources file costs more than a small dbt command's parse, and a run calls dbt many
    times: the vars are computed once per version of the files they come from (a copy is returned).
    """
    global _cached
    version = _config_version()
    if _cached is None or _cached[0] != version:
        _cached = (version, _compute_vars())
    return copy.deepcopy(_cached[1])


# (the version of the input files, the vars computed from it): one entry, the latest
_cached: tuple[tuple[str, ...], dict[str, object]] | None = None


def _config_version() -> tuple[str, ...]:
    """Each input file with a hash of its content: a changed file is a new version even when it is
    rewritten within the file system's clock tick, where its mtime and size could stay the same."""
    files = (sources_path(), tolerances_path(), DBT_DIR / "dbt_project.yml")
    return tuple(f"{p.resolve()}:{hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else '-'}"
                 for p in files)


def _compute_vars() -> dict[str, object]:
    sources = enabled_sources()
    venues = {s.name: list(s.assets) for s in sources if s.extra.get("liquidations")}
    path = tolerances_path()
    if not path.exists():
        raise FileNotFoundError(f"verification rules not found: {path} (DWH_TOLERANCES names another file)")
    doc = yaml.safe_load(path.read_text()) or {}
    return {"liquidation_venues": dict(sorted(venues.items())), "figure_rules": doc.get("families") or {},
            "unfed_marts": unfed_marts(sources)}


def with_project_vars(args: list[str]) -> list[str]:
    """`args` with the project vars merged into its --vars; a key the caller passes itself wins."""
    if not args or args[0] not in VAR_COMMANDS:
        return list(args)
    out, given = list(args), {}
    if "--vars" in out:
        i = out.index("--vars")
        given = yaml.safe_load(out[i + 1]) or {}  # JSON or YAML, as dbt accepts
        if not isinstance(given, dict):
            raise ValueError(f"dbt --vars must be a mapping, got {out[i + 1]!r}")
        del out[i:i + 2]
    merged = {**project_vars(), **given}
    return [*out, "--vars", json.dumps(merged, default=str)]


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def target_dir() -> Path:
    """dbt's target and log folders for this data dir: two runs on different warehouses (xdist
    workers, a backfill beside a test) must not write one `target/` at once. The project's own
    `target/` (`make manifest`) seeds each data dir's partial parse and is never written by a run."""
    path = Path(os.environ.get("DBT_TARGET_PATH") or data_dir() / "dbt" / "target")
    if not (path / "partial_parse.msgpack").exists():
        path.mkdir(parents=True, exist_ok=True)
        # dbt re-parses the whole project without it; it checks every file's hash before trusting it
        seed = DBT_DIR / "target" / "partial_parse.msgpack"
        if seed.exists():
            shutil.copyfile(seed, path / seed.name)
    return path


def run_dbt(args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    target = target_dir()
    env = dict(os.environ, DWH_DATA_DIR=str(data_dir()), DBT_PROFILES_DIR=str(DBT_DIR),
               DBT_TARGET_PATH=str(target),
               DBT_LOG_PATH=os.environ.get("DBT_LOG_PATH") or str(target.parent / "logs"))
    cmd = [dbt_executable(), *with_project_vars(args), "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
    log.info("running %s", " ".join(cmd[:2] + [a[:200] for a in cmd[2:]]))
    proc = subprocess.run(cmd, cwd=DBT_DIR, env=env, text=True, capture_output=True)  # argument list, no shell  # nosec B603
    output = proc.stdout + proc.stderr
    for line in output.splitlines():
        log.info("dbt: %s", line)
    if check and proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        raise RuntimeError(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    return proc
