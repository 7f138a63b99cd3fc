"""The fault matrix: a clean day as the reference, then rounds of injected faults, and what each did.

Every REST dataset the registry has (`ingest.venues.MODULES`, each module's DATASETS with a fetch) is
covered without naming it here. A round runs the whole day for every source at once, as the scheduled
run does: one fault case is aimed at one request of every dataset of half the sources, another case at
the other half. A permanent case always shares its round with a transient one, so the sources it
fails run beside sources that must still come out exactly as in the clean run. Two rounds per pair of
cases put every dataset under both.

The fault is aimed with the sandbox's `path` filter: a piece of the target request (path, query, POST
body, as the clean run landed it) that no other dataset of the same venue sends, and no earlier request
of the same dataset.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import duckdb
import yaml

from ingest.config import load_sources
from ingest.load import load_day, table_name
from ingest.run import ingest_source
from ingest.spec import Dataset
from ingest.venues import MODULES, datasets_for
from tests.faults._landing import Landed, Record, canonical, landed, records_in, stray_temp_files

DAY = dt.date(2026, 11, 26)
CLOCK = dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC)  # what the 00:30 scheduled run sees
TIMEOUT_S = 1.5
# Short timeouts and backoff keep the matrix fast; the code paths are the production ones.
CLIENT = {"timeout_s": TIMEOUT_S, "max_attempts": 4, "backoff_base_s": 0.02, "backoff_cap_s": 0.2,
          "max_retry_after_s": 5.0}
KEY_PLACEHOLDER = "sandbox-placeholder-key"  # the sandbox accepts any key
# the sandbox's paging parameters: requests differing only in these are pages of one stream
CURSOR_PARAMS = {"startTime", "endTime", "before", "after", "start", "cursor", "start_timestamp", "end_timestamp",
                 "limit", "count"}

MATRIX_TABLE = "fault_matrix_table.txt"  # the printed table, handed to the terminal summary


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # sandbox fault kind
    count: int  # requests it hits; -1: every matching request (permanent)
    params: dict[str, Any]
    expect: str  # identical | failed | accounted | identical_or_failed
    pick: str = "first"  # which request of the dataset: first | records (first with records) | next_page


CASES = [
    Case("429 with Retry-After", "http_429", 1, {"retry_after": 1}, "identical"),
    Case("5xx burst, then recovery", "http_500", 3, {"status": 503}, "identical"),
    Case("timeout", "timeout", 1, {"seconds": TIMEOUT_S + 1.0}, "identical"),
    Case("connection reset", "reset", 1, {}, "identical"),
    Case("truncated body", "truncated", 1, {}, "identical"),
    Case("invalid JSON", "invalid_json", 1, {}, "identical"),
    Case("renamed field", "drift_rename", 1, {}, "accounted", "records"),
    Case("missing field", "drift_missing", 1, {}, "accounted", "records"),
    Case("new field", "drift_new_field", 1, {"name": "newField", "value": "1"}, "identical", "records"),
    Case("empty page", "empty_page", 1, {}, "identical_or_failed", "records"),
    Case("repeated page", "repeat_page", 1, {}, "identical_or_failed", "next_page"),
    Case("absurd values", "absurd", 1, {}, "accounted", "records"),
    Case("5xx forever", "http_500", -1, {"status": 500}, "failed"),
    Case("Retry-After beyond the cap", "http_429", 1, {"retry_after": 3600}, "failed"),
    Case("reset forever", "reset", -1, {}, "failed"),
    Case("invalid JSON forever", "invalid_json", -1, {}, "failed"),
]
BY_NAME = {c.name: c for c in CASES}
ANY_REQUEST = Case("any request", "", 1, {}, "", "first")
# Two cases share a round, one on each half of the sources; a permanent fault always shares it with a
# transient one, so every round shows the sources that fail leaving the others' day intact.
PAIRS = [
    ("429 with Retry-After", "5xx forever"),
    ("5xx burst, then recovery", "Retry-After beyond the cap"),
    ("timeout", "reset forever"),
    ("connection reset", "invalid JSON forever"),
    ("truncated body", "renamed field"),
    ("invalid JSON", "missing field"),
    ("new field", "empty page"),
    ("repeated page", "absurd values"),
]
# faults that change what a 2xx body says (the others change whether, or when, it arrives)
BODY_KINDS = {"truncated", "invalid_json", "drift_rename", "drift_missing", "drift_new_field", "empty_page", "absurd"}
# envelope values that differ between two runs of the same day by design
RUN_VARYING = {"env:$.run_id", "env:$.fetched_at", "env:$.elapsed_s", "env:$.attempt"}


# --- what exists --------------------------------------------------------------------------------------
def rest_datasets(sources_file: Path) -> dict[str, list[Dataset]]:
    """Every enabled source of the sources file that has a registry module, with its fetched datasets."""
    configured = load_sources(sources_file)
    out: dict[str, list[Dataset]] = {}
    for name in MODULES:
        if name in configured and configured[name].enabled:
            fetched = [d for d in datasets_for(name) if d.fetch is not None]
            if fetched:
                out[name] = fetched
    return out


def key_envs(sources_file: Path) -> list[str]:
    """The env vars of the sources that run only with a key (the aggregators). An optional key (TronGrid's)
    stays unset: a placeholder there is a malformed key, which the real API and the sandbox refuse."""
    return sorted({str(s.extra["api_key_env"]) for s in load_sources(sources_file).values()
                   if s.extra.get("api_key_env") and s.kind == "aggregator"})


# --- running a day ------------------------------------------------------------------------------------
def run_day(sources_file: Path, root: Path, sources: list[str]) -> dict[str, dict[str, Any]]:
    """Every source's day at once, as the scheduled run does; a source that raises is a harness failure
    (ingest_source must report, not raise, when raise_on_failure is off)."""
    def one(source: str) -> dict[str, Any]:
        return ingest_source(source, DAY, root=root, sources_file=sources_file, raise_on_failure=False,
                             client_overrides=CLIENT)

    with ThreadPoolExecutor(max_workers=len(sources)) as pool:
        return dict(zip(sources, pool.map(one, sources)))


def load_round(root: Path, datasets: dict[str, list[Dataset]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    load_day(con, root, DAY, datasets)
    return con


def typed_rows(con: duckdb.DuckDBPyConnection, source: str, ds: Dataset) -> dict[str, str]:
    """The dataset's typed columns for the day by natural key, as strings (NaN-safe, order-free).
    Values every run stamps differently (run id, fetch time) are left out of both."""
    cols = [f.name for f in ds.fields if f.path not in RUN_VARYING]
    key = [f.name for f in ds.fields if f.name in ds.key and f.path not in RUN_VARYING] or cols
    return dict(con.execute(
        f"SELECT CAST(({', '.join(key)}, NULL) AS VARCHAR), CAST(t AS VARCHAR) "
        f"FROM (SELECT {', '.join(cols)} FROM {table_name(source, ds.name)} WHERE _date = ?) t", [DAY]).fetchall())


def loader_keys(con: duckdb.DuckDBPyConnection, ds: Dataset, records: list[Record]) -> list[str]:
    """The natural key the loader gives each record (its own field extraction, applied to one record)."""
    from ingest.load import _path_list, _sources_of

    raws, env_paths, parent_paths, rec_paths = _sources_of(ds)
    key = "concat_ws('|', " + ", ".join(
        f"CAST(TRY_CAST({raw} AS {f.type}) AS VARCHAR)" for f, raw in zip(ds.fields, raws, strict=True)
        if f.name in ds.key) + ")"
    lifted = (f"SELECT json_extract_string(r, {_path_list(rec_paths)}) AS _rv, "
              f"json_extract_string(p, {_path_list(parent_paths)}) AS _pv, "
              f"json_extract_string(e, {_path_list(env_paths)}) AS _ev "
              "FROM (SELECT ?::JSON AS r, ?::JSON AS p, ?::JSON AS e)")
    return [con.execute(f"SELECT {key} FROM ({lifted})",
                        [json.dumps(x.value), json.dumps(x.parent), json.dumps(x.envelope)]).fetchone()[0]
            for x in records]


# --- aiming a fault -----------------------------------------------------------------------------------
def stream_key(item: Landed) -> tuple:
    parts = urlsplit(item.url)
    params = sorted((k, v) for k, v in parse_qsl(parts.query) if k not in CURSOR_PARAMS)
    body = sorted((k, str(v)) for k, v in item.request_body.items() if k not in CURSOR_PARAMS) \
        if isinstance(item.request_body, dict) else item.request_body
    return parts.path, tuple(params), str(body)


def _safe_prefix(target: str) -> str:
    """The part of a target both URL spellings agree on: cut before the first percent-escape or '+'."""
    path_qs, sep, body = target.partition("\n")
    cut = min([i for i in (path_qs.find("%"), path_qs.find("+")) if i >= 0], default=-1)
    return path_qs[:cut] if cut >= 0 else target


@dataclass(frozen=True)
class Aim:
    venue: str
    path: str  # the sandbox's substring filter
    index: int  # which landed request of the clean run it aims at


def aim(case: Case, source: str, ds: Dataset, clean: dict[tuple[str, str], list[Landed]]) -> Aim | None:
    """A filter that hits the chosen request before anything else does.

    `clean` is in run order (sources, then each source's datasets in DATASETS order). The filter must
    not match another source's requests, the requests of the source's earlier datasets, or the
    dataset's own earlier requests. A later dataset may share it: by then a counted fault is used up,
    and the later dataset's own (longer) filter is installed first.
    """
    mine = clean[(source, ds.name)]
    if case.pick == "records":
        candidates = [i for i, x in enumerate(mine) if records_in([x], ds.records).records]
    elif case.pick == "next_page":
        seen: set[tuple] = set()
        candidates = []
        for i, x in enumerate(mine):
            key = stream_key(x)
            if key in seen and 200 <= x.status <= 299:
                candidates.append(i)
            seen.add(key)
        # single-page streams only: the sandbox then repeats the clean run's page for the first request
        candidates = candidates or [i for i, x in enumerate(mine) if 200 <= x.status <= 299]
    else:
        candidates = [i for i, x in enumerate(mine) if 200 <= x.status <= 299]
    order = list(clean)
    before = order[:order.index((source, ds.name))]
    for i in candidates:
        venue, filt = mine[i].venue, _safe_prefix(mine[i].target)
        earlier = [x.target for key in order if key[0] != source or key in before
                   for x in clean[key] if x.venue == venue] + [x.target for x in mine[:i]]
        if filt in mine[i].target and not any(filt in t for t in earlier):
            return Aim(venue, filt, i)
    return None


# --- judging a dataset --------------------------------------------------------------------------------
@dataclass
class Outcome:
    source: str
    dataset: str
    case: str
    role: str  # faulted | unaimed
    status: str
    hits: int
    survived: bool = False
    rows: int = 0
    clean_rows: int = 0
    missing_rows: int = 0
    changed_rows: int = 0  # a clean-run key with other values: corrupted, absurd or half-written
    extra_rows: int = 0  # keys the clean run does not have (a page further back, or a mangled key)
    duplicates: int = 0
    quarantined: int = 0
    rows_lost: int = 0  # missing without a failure or a quarantine row saying so, or landed and unaccounted
    landed_files: int = 0
    problems: list[str] = field(default_factory=list)
    known_gap: str | None = None  # why the dataset's owner has yet to fix what `problems` says


def judge(con: duckdb.DuckDBPyConnection, root: Path, source: str, ds: Dataset, entry: dict[str, Any],
          clean: dict[str, str], case: Case, hits: int, earlier_failed: bool = False) -> Outcome:
    rows = typed_rows(con, source, ds)
    table = table_name(source, ds.name)
    n, keys = con.execute(f"SELECT count(*), count(DISTINCT _key) FROM {table} WHERE _date = ?", [DAY]).fetchone()
    loaded = dict(con.execute(f"SELECT _key, _record FROM {table} WHERE _date = ?", [DAY]).fetchall())
    loaded_records = {canonical(r) for r in loaded.values()}
    quarantine = con.execute("SELECT record_index, reason, payload FROM raw.quarantine "
                             "WHERE source = ? AND dataset = ? AND date = ?", [source, ds.name, DAY]).fetchall()
    runs = con.execute("SELECT status FROM raw.ingest_runs WHERE source = ? AND dataset = ? AND date = ?",
                       [source, ds.name, DAY]).fetchall()
    logged = con.execute("SELECT files, responses, records, loaded, quarantined FROM raw.load_log "
                         "WHERE source = ? AND dataset = ? AND date = ?", [source, ds.name, DAY]).fetchone()
    items = landed(root, source, ds.name, DAY)
    found = records_in(items, ds.records)
    status = entry.get("status", "absent")
    out = Outcome(source, ds.name, case.name, "faulted", status, hits, rows=len(rows), clean_rows=len(clean),
                  duplicates=n - keys, quarantined=len(quarantine), landed_files=len(items))
    problems = out.problems
    # nothing lost on the way in: every response landed, whole, and the loader counted what is there
    if runs != [(status,)]:
        problems.append(f"raw.ingest_runs says {runs}, the manifest {status!r}")
    if len(items) != entry.get("responses"):
        problems.append(f"{len(items)} landed files, the run counted {entry.get('responses')} responses")
    http = entry.get("http") or {}
    if "transport_errors" in http and len(items) != http["requests"] - http["transport_errors"]:
        problems.append(f"{len(items)} landed files for {http['requests']} requests with "
                        f"{http['transport_errors']} transport errors")
    if stray_temp_files(root, source, ds.name, DAY):
        problems.append("half-written landing files left behind")
    record_q = [q for q in quarantine if q[0] is not None]
    if any(not (q[1] or "").strip() for q in quarantine):
        problems.append("quarantine rows without a reason")
    if logged is None or logged[2] != len(found.records) or logged[4] != len(quarantine) \
            or len(quarantine) != found.bad_bodies + len(record_q):
        problems.append(f"load_log (files, responses, records, loaded, quarantined) {logged} vs "
                        f"{len(found.records)} records and {found.bad_bodies} bad bodies landed, "
                        f"{len(quarantine)} quarantine rows")
    # every landed record is loaded, quarantined, or the same key came again and the later answer won
    quarantined_payloads = {canonical(q[2]) for q in record_q}
    unplaced = [r for r in found.records if canonical(r.value) not in loaded_records | quarantined_payloads]
    unaccounted = [r for r, k in zip(unplaced, loader_keys(con, ds, unplaced)) if k not in loaded]
    if unaccounted:
        problems.append(f"{len(unaccounted)} landed records neither loaded, quarantined nor superseded")
    if out.duplicates:
        problems.append(f"{out.duplicates} duplicate keys")
    # what reached raw, against the clean run
    out.missing_rows = sum(1 for k in clean if k not in rows)
    out.changed_rows = sum(1 for k, v in rows.items() if k in clean and clean[k] != v)
    out.extra_rows = sum(1 for k in rows if k not in clean)
    # absurd values change keys too (OKX keys an order by its size and price): loaded as sent, not lost
    replaced = out.extra_rows if case.kind == "absurd" else 0
    silent = max(0, out.missing_rows - len(record_q) - replaced) if status == "ok" else 0
    out.rows_lost = silent + len(unaccounted)
    if out.changed_rows and case.kind != "absurd":
        problems.append(f"{out.changed_rows} rows differ from the clean run's rows of the same key")
    if out.extra_rows and case.kind in BODY_KINDS - {"absurd"}:
        problems.append(f"{out.extra_rows} rows with keys the clean run does not have")
    # a permanent fault on an earlier dataset's request the later one also sends fails it there first; a
    # dataset handed its input by an earlier one of the run (ctx.handover) is skipped because of it, naming
    # it and asking nothing: as loud as a failure of its own
    loud = status == "failed" or (status == "skipped" and bool(entry.get("skipped_because")) and earlier_failed)
    if hits == 0 and not (loud and (case.expect == "failed" or earlier_failed)):
        problems.append("the fault never reached the dataset")
    if case.expect == "identical" and (status != "ok" or out.missing_rows):
        problems.append(f"expected the clean run's data, got status {status} and {out.missing_rows} rows missing")
    elif case.expect == "failed" and not loud:
        problems.append(f"expected the dataset marked failed, got {status}")
    elif case.expect == "identical_or_failed" and status == "ok" and out.missing_rows:
        problems.append(f"status ok but {out.missing_rows} rows missing (silent loss)")
    elif case.expect == "accounted" and silent:
        problems.append(f"{silent} rows missing without a quarantine row")
    out.survived = not problems
    return out


# --- a round and a case -------------------------------------------------------------------------------
class Matrix:
    """The clean reference and the rounds, against one running sandbox."""

    def __init__(self, sandbox, sources_file: Path, workdir: Path):
        self.sb = sandbox
        self.sources_file = sources_file
        self.workdir = workdir
        self.datasets = rest_datasets(sources_file)
        self.sources = sorted(self.datasets)
        self.clean_landed: dict[tuple[str, str], list[Landed]] = {}
        self.clean_rows: dict[tuple[str, str], dict[str, str]] = {}
        self.covered: dict[str, list[Dataset]] = {}  # datasets the clean run could fetch
        self.not_covered: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        self.timings: list[dict[str, Any]] = []

    def baseline(self) -> None:
        started = time.time()
        self.sb.clear_faults()
        self.sb.set_clock(CLOCK)
        root = self.workdir / "clean"
        manifests = run_day(self.sources_file, root, self.sources)
        for source, datasets in self.datasets.items():
            for ds in datasets:
                self.clean_landed[(source, ds.name)] = landed(root, source, ds.name, DAY)
        for source, datasets in self.datasets.items():
            for ds in datasets:
                entry = manifests[source]["datasets"].get(ds.name, {})
                name = f"{source}.{ds.name}"
                if entry.get("status") != "ok":
                    self.not_covered[name] = f"clean run {entry.get('status')}: {entry.get('error')}"
                elif not records_in(self.clean_landed[(source, ds.name)], ds.records).records:
                    self.not_covered[name] = "the clean run has no records"
                elif aim(ANY_REQUEST, source, ds, self.clean_landed) is None:
                    self.not_covered[name] = "every request repeats one an earlier dataset sends (faulted there)"
                else:
                    self.covered.setdefault(source, []).append(ds)
        con = load_round(root, self.covered)
        for source, datasets in self.covered.items():
            for ds in datasets:
                self.clean_rows[(source, ds.name)] = typed_rows(con, source, ds)
        con.close()
        self.seconds["clean run"] = round(time.time() - started, 1)

    def groups(self) -> list[list[str]]:
        names = sorted(self.covered)
        return [names[0::2], names[1::2]]

    def run_pair(self, first: Case, second: Case) -> dict[str, list[Outcome]]:
        """Two rounds: `first` on one half of the sources and `second` on the other, then swapped."""
        out: dict[str, list[Outcome]] = {first.name: [], second.name: []}
        for r, (c0, c1) in enumerate(((first, second), (second, first))):
            started = time.time()
            plan = {source: c for c, group in zip((c0, c1), self.groups()) for source in group}
            for outcome in self._round(plan, self.workdir / f"{first.kind}{first.count}-{second.kind}{second.count}-{r}"):
                out[outcome.case].append(outcome)
            for c in (c0, c1):
                self.seconds[c.name] = round(self.seconds.get(c.name, 0.0) + (time.time() - started) / 2, 1)
        return out

    def outage(self, down: list[str], root: Path) -> dict[str, dict[str, Any]]:
        """The day with every venue host of the `down` sources answering 500 to everything."""
        venues = sorted({x.venue for (s, _), items in self.clean_landed.items() if s in down for x in items})
        self.sb.clear_faults()
        self.sb.set_clock(CLOCK)
        self.sb.add_faults([
            {"venue": v, "kind": "http_500", "count": -1, "params": {"status": 500}} for v in venues])
        try:
            return run_day(self.sources_file, root, self.sources)
        finally:
            self.sb.clear_faults()

    def _round(self, plan: dict[str, Case], root: Path) -> list[Outcome]:
        specs: list[dict[str, Any]] = []
        aimed: dict[tuple[str, str], dict[str, Any]] = {}
        for source, case in plan.items():
            for ds in self.covered[source]:
                target = aim(case, source, ds, self.clean_landed)
                if target is not None:
                    aimed[(source, ds.name)] = spec = {"venue": target.venue, "kind": case.kind, "count": case.count,
                                                       "path": target.path, "params": case.params}
                    specs.append(spec)
        # the sandbox applies the first matching fault: the most specific filter goes first
        specs.sort(key=lambda f: -len(f["path"]))
        self.sb.clear_faults()
        self.sb.set_clock(CLOCK)
        created = self.sb.add_faults(specs)
        t0 = time.time()
        try:
            manifests = run_day(self.sources_file, root, self.sources)
        finally:
            left = {f["id"]: f for f in self.sb.faults()}
            self.sb.clear_faults()
        hits = {(f["venue"], f["path"]): (left[f["id"]]["hits"] if f["id"] in left else f["count"]) for f in created}
        t1 = time.time()
        con = load_round(root, self.covered)
        t2 = time.time()
        outcomes = []
        try:
            for source, case in plan.items():
                statuses = {name: e.get("status") for name, e in manifests[source]["datasets"].items()}
                for i, ds in enumerate(self.covered[source]):
                    entry = manifests[source]["datasets"].get(ds.name, {})
                    earlier_failed = any(statuses.get(d.name) == "failed" for d in self.covered[source][:i])
                    spec = aimed.get((source, ds.name))
                    if spec is None:
                        o = Outcome(source, ds.name, case.name, "unaimed", entry.get("status", "absent"), 0)
                        o.problems.append("no request of this dataset can be aimed at alone")
                        outcomes.append(o)
                        continue
                    outcomes.append(judge(con, root, source, ds, entry, self.clean_rows[(source, ds.name)], case,
                                          hits[(spec["venue"], spec["path"])], earlier_failed))
        finally:
            con.close()
        self.timings.append({"round": root.name, "ingest_s": round(t1 - t0, 1), "load_s": round(t2 - t1, 1),
                             "judge_s": round(time.time() - t2, 1)})
        return outcomes


# --- known gaps -----------------------------------------------------------------------------------------
KNOWN_GAPS_FILE = Path(__file__).with_name("known_gaps.yml")


def known_gaps() -> dict[tuple[str, str], str]:
    """(source.dataset, case) -> why: outcomes the matrix finds and the dataset's owner has yet to fix.

    A ratchet: a listed gap that no longer shows fails too, so the list only shrinks. A dataset not
    listed (every new one) must survive every case."""
    doc = yaml.safe_load(KNOWN_GAPS_FILE.read_text()) if KNOWN_GAPS_FILE.exists() else None
    return {(name, case): str(why) for name, cases in (doc or {}).items() for case, why in (cases or {}).items()}


def verdicts(outcomes: list[Outcome], gaps: dict[tuple[str, str], str]) -> list[str]:
    """What is wrong with a round: unexpected failures, and known gaps that are gone."""
    bad = []
    for o in outcomes:
        gap = gaps.get((f"{o.source}.{o.dataset}", o.case))
        if not o.survived and gap is None:
            bad.append(f"{o.case} / {o.source}.{o.dataset} ({o.role}, {o.status}): {'; '.join(o.problems)}")
        elif o.survived and gap is not None and o.role == "faulted":
            bad.append(f"{o.case} / {o.source}.{o.dataset}: survives now; remove it from {KNOWN_GAPS_FILE.name}")
        o.known_gap = gap
    return bad


# --- the report ---------------------------------------------------------------------------------------
LOUD = ("failed", "skipped")  # skipped: only ever because an input dataset of the run failed (judge checks it)


def summarise(results: dict[str, list[Outcome]], matrix: Matrix) -> dict[str, Any]:
    rows = []
    for case in CASES:
        outs = results.get(case.name)
        if outs is None:
            continue
        faulted = [o for o in outs if o.role == "faulted"]
        unaimed = [o for o in outs if o.role == "unaimed"]
        rows.append({
            "fault": case.name, "kind": case.kind, "count": case.count, "expect": case.expect,
            "tried": sum(1 for o in faulted if o.hits > 0 or (case.expect == "failed" and o.status in LOUD)),
            "datasets": len(faulted),
            "survived": sum(1 for o in faulted if o.survived),
            "known_gaps": sum(1 for o in faulted if not o.survived and o.known_gap),
            "failed_loudly": sum(1 for o in faulted if o.status in LOUD),
            "quarantined": sum(o.quarantined for o in faulted),
            "rows_lost": sum(o.rows_lost for o in outs),
            "duplicates": sum(o.duplicates for o in outs),
            "unaimed": len(unaimed),
            "seconds": matrix.seconds.get(case.name),
        })
    return {
        "day": DAY.isoformat(),
        "sources": matrix.sources,
        "datasets_covered": sorted(f"{s}.{d.name}" for s, ds in matrix.covered.items() for d in ds),
        "not_covered": matrix.not_covered,
        "client": CLIENT,
        "cases": rows,
        "problems": [asdict(o) for outs in results.values() for o in outs if not o.survived],
        "seconds": matrix.seconds,
        "rounds": matrix.timings,
    }


def table(summary: dict[str, Any]) -> str:
    head = f"{'fault':28s} {'expect':20s} {'tried':>5s} {'survived':>8s} {'gaps':>4s} {'failed':>6s} {'quar.':>6s} " \
           f"{'lost':>5s} {'dups':>5s} {'unaimed':>7s} {'s':>6s}"
    lines = [head, "-" * len(head)]
    for r in summary["cases"]:
        lines.append(f"{r['fault']:28s} {r['expect']:20s} {r['tried']:>5d} {r['survived']:>4d}/{r['datasets']:<3d} "
                     f"{r['known_gaps']:>4d} "
                     f"{r['failed_loudly']:>6d} {r['quarantined']:>6d} {r['rows_lost']:>5d} {r['duplicates']:>5d} "
                     f"{r['unaimed']:>7d} {r['seconds'] or 0:>6.1f}")
    lines.append(f"covered: {len(summary['datasets_covered'])} datasets of {len(summary['sources'])} sources; "
                 f"not covered: {len(summary['not_covered'])}")
    for name, why in sorted(summary["not_covered"].items()):
        lines.append(f"  - {name}: {why[:150]}")
    for p in summary["problems"]:
        mark = "~" if p["known_gap"] else "!"
        lines.append(f"  {mark} {p['case']} / {p['source']}.{p['dataset']} ({p['role']}, {p['status']}): "
                     f"{'; '.join(p['problems'])[:240]}")
    lines.append("(! unexpected, ~ a known gap listed in tests/faults/known_gaps.yml)")
    return "\n".join(lines)


def write_report(summary: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=str))
    return path
