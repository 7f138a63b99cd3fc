"""Each source's documented behaviour, one YAML file per source, with the doc page every fact comes from.

The files sit beside the code that talks to the source: ingest/venues/<venue>/contract.yml for venues and
aggregators, ingest/onchain/<protocol>.yml for the on-chain providers (the registry, ingest.venues, lists them).

A contract says, per dataset, what the venue documents: the endpoint, its parameters and units, which edge of
a time window is inclusive and what a record's timestamp means, paging and page size, how far back the venue
serves, its rate limit, the side convention of liquidations and how the values are sampled. Every group names
the pages it rests on (`cite:` keys into the file's `pages:`, each with its URL and the date it was read);
where the docs say nothing, the group says so in `docs_silent:` together with the reading the code takes
(the one that fails loudly).

The ingest modules stay small; the sandbox reads page maxima and rate limits from here, so the simulated venue
and the code that talks to the real one cannot drift apart silently. `python -m ingest.contracts` writes
docs/sources.md from these files (`--check` only compares).
"""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import yaml

INGEST_DIR = Path(__file__).resolve().parent.parent
DOCS_FILE = INGEST_DIR.parent / "docs" / "sources.md"
# what every dataset's contract must say; `side` only where there is a side to read (liquidations)
GROUPS = ("endpoint", "params", "units", "window", "paging", "retention", "rate_limit", "side", "sampling")
REQUIRED = tuple(g for g in GROUPS if g != "side")
NOT_CONTENT = {"cite", "docs_silent", "unverified"}  # `unverified`: stated here, but not in the text read
# how a page's text was read: its own text (a search excerpt of it), a faithful transcription elsewhere (a client's
# docstring, a colleague's quote in the code: `via` names it), or not at all (the address only: to re-check)
RETRIEVED = ("excerpt", "transcribed", "none")


class ContractError(ValueError):
    pass


@functools.cache
def _files() -> dict[str, dict[str, Any]]:
    """source key -> the parsed file that describes it (a file may serve several keys: eth_rpc_a/_b)."""
    from ingest.venues import contract_files

    out: dict[str, dict[str, Any]] = {}
    for path in contract_files():
        name = str(path.relative_to(INGEST_DIR))
        if not path.exists():
            raise ContractError(f"{name}: the registry names a contract that is not there")
        doc = yaml.safe_load(path.read_text())
        if not isinstance(doc, dict) or not isinstance(doc.get("sources"), list) or not doc.get("datasets"):
            raise ContractError(f"{name}: needs `sources:` (a list) and `datasets:`")
        doc["_file"] = name
        for source in doc["sources"]:
            if source in out:
                raise ContractError(f"source {source!r} has two contract files: {out[source]['_file']}, {path.name}")
            out[source] = doc
    return out


def sources() -> list[str]:
    return sorted(_files())


def source_contract(source: str) -> dict[str, Any]:
    files = _files()
    if source not in files:
        raise KeyError(f"no contract for source {source!r}; contracts: {', '.join(sorted(files))}")
    return files[source]


def _resolve(doc: dict[str, Any], group: dict[str, Any], where: str) -> dict[str, Any]:
    pages = doc.get("pages") or {}
    cites = []
    for key in group.get("cite") or []:
        if key not in pages:
            raise ContractError(f"{doc['_file']} {where}: cites unknown page {key!r}")
        cites.append({"key": key, **pages[key]})
    return {**group, "citations": cites}


def contract(source: str, dataset: str) -> dict[str, Any]:
    """The dataset's groups, source-level defaults filled in, each with its resolved `citations`."""
    doc = source_contract(source)
    datasets = doc["datasets"]
    if dataset not in datasets:
        raise KeyError(f"{source}: no contract for dataset {dataset!r}; has {', '.join(sorted(datasets))}")
    merged: dict[str, Any] = {}
    for name in GROUPS:
        group = (datasets[dataset] or {}).get(name)
        if group is None:
            group = (doc.get("defaults") or {}).get(name)
        if group is None and name == "rate_limit":
            group = doc.get("rate_limit")
        if group is not None:
            if not isinstance(group, dict):
                raise ContractError(f"{doc['_file']} {dataset}.{name}: a group is a mapping")
            merged[name] = _resolve(doc, group, f"{dataset}.{name}")
    return merged


def all_contracts() -> dict[tuple[str, str], dict[str, Any]]:
    return {(s, d): contract(s, d) for s in sources() for d in source_contract(s)["datasets"]}


def max_limit(source: str, dataset: str) -> int:
    """The documented largest page a request may ask for (what the venue refuses or clamps beyond)."""
    value = contract(source, dataset)["paging"].get("max_limit")
    if not isinstance(value, int):
        raise ContractError(f"{source}.{dataset}: paging.max_limit is not documented as a number")
    return value


def retention(source: str, dataset: str) -> dt.timedelta | None:
    """How far back the venue serves the dataset, when the contract states it in hours or days."""
    group = contract(source, dataset).get("retention") or {}
    if "days" in group or "hours" in group:
        return dt.timedelta(days=group.get("days", 0), hours=group.get("hours", 0))
    return None


def rate_limit(source: str) -> dict[str, Any]:
    """The source's documented limit: `requests` per `per_seconds` (and what it counts, `unit`)."""
    group = source_contract(source).get("rate_limit") or {}
    if not isinstance(group.get("requests"), (int, float)) or not isinstance(group.get("per_seconds"), (int, float)):
        raise ContractError(f"{source}: rate_limit has no documented requests/per_seconds")
    return group


def per_minute(source: str) -> int:
    """The documented limit as a count per minute (how Binance and BitMEX quote it in their answers)."""
    group = rate_limit(source)
    return round(float(group["requests"]) * 60 / float(group["per_seconds"]))


def requests_per_second(source: str) -> float:
    group = rate_limit(source)
    return float(group["requests"]) / float(group["per_seconds"])


def problems() -> list[str]:
    """What a contract lacks: a required group, a citation with URL and date, a field the sandbox reads."""
    out = []
    for source in sources():
        try:
            rate_limit(source)
        except ContractError as exc:
            out.append(str(exc))
    for (source, dataset), groups in all_contracts().items():
        for name in REQUIRED:
            if name not in groups:
                out.append(f"{source}.{dataset}: no `{name}`")
        if "paging" in groups and not isinstance(groups["paging"].get("max_limit"), int):
            out.append(f"{source}.{dataset}: paging.max_limit must be a number (0: one answer, no paging)")
        for name, group in groups.items():
            good = [c for c in group["citations"] if str(c.get("url", "")).startswith("https://")
                    and isinstance(c.get("read"), dt.date)]
            if not good:
                out.append(f"{source}.{dataset}.{name}: no citation with an https URL and a read date")
            for c in group["citations"]:
                if c.get("retrieved") not in RETRIEVED or not c.get("says"):
                    out.append(f"{source}.{dataset}.{name}: page {c['key']} needs `retrieved` ({'|'.join(RETRIEVED)})"
                               f" and `says`")
                elif c["retrieved"] == "transcribed" and not c.get("via"):
                    out.append(f"{source}.{dataset}.{name}: page {c['key']} is transcribed: name it in `via`")
            if not (set(group) - NOT_CONTENT - {"citations"}) and not group.get("docs_silent"):
                out.append(f"{source}.{dataset}.{name}: says nothing (state the fact, or docs_silent)")
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return " ".join(str(value).split()).replace("|", "\\|")


def render_markdown() -> str:
    lines = ["# Sources: what each venue documents, and where",
             "",
             "Generated by `python -m ingest.contracts` from each source's contract (`ingest/venues/<venue>/contract.yml`,",
             "`ingest/onchain/<protocol>.yml`); edit the YAML, not this file (tests/contracts checks the two agree).",
             "Each fact names its page and the date it was read;",
             "`docs silent` marks what the documentation does not say, with the reading the code takes.",
             "Retrieved `excerpt`: the page's own text was read on that date; `transcribed`: its text was read as",
             "quoted elsewhere (the YAML's `via` names where); `none`: the address is the venue's page for it but",
             "its text could not be read here, so the fact is to be re-checked against it.",
             ""]
    for source in sources():
        doc = source_contract(source)
        if source != doc["sources"][0]:
            continue
        lines += [f"## {', '.join(doc['sources'])}: {doc.get('title', '')}", ""]
        if doc.get("notes"):
            lines += [_fmt(doc["notes"]), ""]
        limit = doc.get("rate_limit") or {}
        if limit:
            lines += [f"Rate limit: {_fmt({k: v for k, v in limit.items() if k not in NOT_CONTENT})}"
                      + (f" — **docs silent:** {_fmt(limit['docs_silent'])}" if limit.get("docs_silent") else "")
                      + (f" — *not in the text read:* {_fmt(limit['unverified'])}" if limit.get("unverified") else ""),
                      ""]
        lines += ["| page | read | retrieved | what it says |", "|---|---|---|---|"]
        for key, page in (doc.get("pages") or {}).items():
            said = _fmt(page.get("says", ""))
            if page.get("unverified"):
                said += f" — *not in the text read:* {_fmt(page['unverified'])}"
            via = f" via {_fmt(page['via'])}" if page.get("via") else ""
            lines.append(f"| [{key}]({page['url']}) | {page.get('read')} | {page.get('retrieved', 'none')}{via} | {said} |")
        lines.append("")
        for dataset in doc["datasets"]:
            groups = contract(source, dataset)
            lines += [f"### {dataset}", "", "| | documented | pages |", "|---|---|---|"]
            for name in GROUPS:
                if name not in groups:
                    continue
                group = groups[name]
                facts = {k: v for k, v in group.items() if k not in NOT_CONTENT | {"citations"}}
                text = _fmt(facts)
                if group.get("docs_silent"):
                    text = (text + " — " if text else "") + "**docs silent:** " + _fmt(group["docs_silent"])
                if group.get("unverified"):
                    text += " — *not in the text read:* " + _fmt(group["unverified"])
                refs = ", ".join(f"[{c['key']}]({c['url']})" for c in group["citations"])  # dates: pages table
                lines.append(f"| {name} | {text} | {refs} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ingest.contracts", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/sources.md is not what the YAML makes")
    args = parser.parse_args(argv)
    issues = problems()
    if issues:
        print("\n".join(issues))
        return 1
    text = render_markdown()
    if args.check:
        if not DOCS_FILE.exists() or DOCS_FILE.read_text() != text:
            print(f"{DOCS_FILE} is out of date: run `python -m ingest.contracts`")
            return 1
        return 0
    DOCS_FILE.write_text(text)
    print(f"wrote {DOCS_FILE}")
    return 0
