"""Run dbt as a subprocess of this virtualenv, against dbt_project/ and its profiles.yml.

dbt reads nothing of the pipeline's configuration itself: what its models need from it (which venues'
liquidations are expected, the verification rules) goes in as vars (`project_vars`), merged into every
invocation's --vars so the two can never disagree.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess  # argument lists only, never a shell  # nosec B404
import sys
from pathlib import Path

import yaml

from ingest.config import PROJECT_ROOT, data_dir, enabled_sources

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


# Which marts each kind of input feeds: a mart no enabled source feeds is empty by design in a partial
# world, so its checks are reported 'skipped' with this reason (never failed, never withheld).
MART_DOMAINS = {
    "funding_rates": "funding", "funding_daily": "funding", "funding_daily_total": "funding",
    "prices_daily": "prices",
    "open_interest_daily": "open_interest", "open_interest_daily_total": "open_interest",
    "options_expiries": "options", "options_expiries_total": "options",
    "fct_liquidations": "liquidations", "liquidations_daily": "liquidations",
    "liquidations_daily_by_exchange": "liquidations",
    "entity_holdings_daily": "holdings", "entity_flows_daily": "flows",
}
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
    wanted = _DOMAIN_DATASETS[domain]
    return [s.name for s in sources if s.kind == "venue" and s.name in VENUES
            and any(wanted(ds.name) for ds in datasets_for(s.name))]


def unfed_marts(sources: list) -> dict[str, str]:
    """{mart: why no check of it can mean anything today} for the marts no enabled source feeds."""
    out = {}
    for mart, domain in MART_DOMAINS.items():
        if not domain_feeds(domain, sources):
            out[mart] = f"no enabled source for {domain.replace('_', ' ')}"
    return out


def project_vars() -> dict[str, object]:
    """The vars dbt's models take from the pipeline's configuration.

    `liquidation_venues`: {exchange: [assets]} of the enabled sources with a `liquidations:` entry in the
    sources file the pipeline uses (DWH_SOURCES, else config/sources.yml).
    `figure_rules`: the `families` of the verification rules (config/tolerances.yml or DWH_TOLERANCES).
    `unfed_marts`: {mart: reason} for the marts no enabled source feeds (their checks are 'skipped').
    """
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
