"""Synthetic history: one real day of every venue dataset, grown into a year at scale.

The template is a day the real fetchers land from the sandbox (real paths, params and bodies). Each
synthetic day re-lands every template response with its times moved to that day, and grows it by the
dataset's kind:
- events  (liquidation orders, liquidation trades): the day's events are generated anew, spread over the
          day and paged the way the venue pages them (OKX 100 newest first, Deribit 1,000 ascending);
- options (chains): every instrument is cloned at neighbouring strikes until the venue lists at least
          `strikes_target` instruments a day;
- series  (funding, open interest, prices, instruments): every BTC/ETH symbol gets synthetic siblings
          (Q00.. for BTC, R00.. for ETH), 50 symbols per venue. Staging maps only BTC and ETH to an asset,
          so the siblings weigh on raw and staging and are filtered out on the way to the marts.
Values come from generators seeded by (dataset, day): the same arguments give the same files. Clones
are made on JSON text (string replacement), not by walking objects: the year is ~40 million records.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.writer import DayWriter, envelope, url_for
from ingest.landing import dataset_dir
from ingest.spec import Dataset
from ingest.venues import datasets_for

DAY_MS = 86_400_000
TEMPLATE_DAY = dt.date(2026, 11, 26)
_TOKEN = re.compile(r"(?<![A-Z])(BTC|XBT|ETH)(?![a-z])")
_SIBLING = {"BTC": "Q", "XBT": "Q", "ETH": "R"}  # BitMEX spells bitcoin XBT
# option names: BTC-261127-60000-C (Binance), BTC-USD-261127-60000-C (OKX), BTC-27NOV26-60000-C (Deribit, Bybit)
_OPTION = re.compile(r"^(?P<head>[A-Z]+-(?:[A-Z]+-)?)(?P<expiry>\d{6}|\d{1,2}[A-Z]{3}\d{2})-(?P<strike>\d+)-(?P<cp>[CP])$")
_OPTION_IN_TEXT = re.compile(r'"([A-Z]+-(?:[A-Z]+-)?(?:\d{6}|\d{1,2}[A-Z]{3}\d{2})-(\d+)-[CP])"')
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_HOLE = "\x00records\x00"


@dataclass(frozen=True)
class Scale:
    days: int = 365
    liquidations: int = 20_000_000  # over the whole history, shared by the venues with an events dataset
    strikes_target: int = 3_000  # option instruments per option venue and day
    siblings: int = 24  # synthetic symbols per real asset: 2 * (1 + 24) = 50 per venue

    @property
    def events_per_day(self) -> int:
        return math.ceil(self.liquidations / self.days)


def kind_of(ds: Dataset) -> str:
    if ds.name in ("liquidations", "future_trades"):
        return "events"
    if ds.name.startswith("option_"):
        return "options"
    return "series"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- the template day ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Template:
    method: str
    base_url: str
    params: dict[str, Any]
    request_body: Any
    status: int
    body: Any


def read_templates(templates: Path, source: str, dataset: str) -> list[Template]:
    d = dataset_dir(templates, source, dataset, TEMPLATE_DAY)
    out = []
    for path in sorted(d.glob("*.ndjson.gz")) if d.exists() else []:
        env = json.loads(gzip.decompress(path.read_bytes()))
        if env.get("body_encoding") != "utf-8":
            continue
        try:
            body = json.loads(env["body"])
        except ValueError:
            continue
        out.append(Template(env["method"], env["url"].split("?", 1)[0], env.get("params") or {},
                            env.get("request_body"), int(env["status"]), body))
    return out


# --- moving a template day -----------------------------------------------------------------------------
class Shift:
    """Moves the template day's times by whole days: epoch ms, ISO times, expiries in option names."""

    def __init__(self, days: int):
        self.days = days
        self.ms = days * DAY_MS
        start = int(dt.datetime.combine(TEMPLATE_DAY, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)
        self.lo, self.hi = start - 400 * DAY_MS, start + 400 * DAY_MS  # listing times .. far expiries

    def epoch(self, v: int) -> int:
        return v + self.ms if self.lo <= v <= self.hi else v

    def expiry(self, token: str) -> str:
        if token.isdigit():
            return (dt.datetime.strptime(token, "%y%m%d") + dt.timedelta(days=self.days)).strftime("%y%m%d")
        d = dt.date(2000 + int(token[-2:]), _MONTHS.index(token[-5:-2]) + 1, int(token[:-5])) \
            + dt.timedelta(days=self.days)
        return f"{d.day}{_MONTHS[d.month - 1]}{d.strftime('%y')}"

    def text(self, s: str) -> str:
        if s.isdigit() and len(s) == 13:
            return str(self.epoch(int(s)))
        m = _ISO.match(s)
        if m:
            t = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}") + dt.timedelta(days=self.days)
            return t.strftime("%Y-%m-%dT%H:%M:%S") + (m.group(3) or "") + (m.group(4) or "")
        o = _OPTION.match(s)
        if o:
            return f"{o['head']}{self.expiry(o['expiry'])}-{o['strike']}-{o['cp']}"
        if len(s) == 6 and s.isdigit():  # a bare expiry (Binance's `expiration` parameter), if it is a date
            try:
                d = dt.datetime.strptime(s, "%y%m%d").date()
            except ValueError:
                return s
            return self.expiry(s) if abs((d - TEMPLATE_DAY).days) <= 400 else s
        return s

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return self.epoch(value)
        if isinstance(value, float) and value.is_integer() and self.lo <= value <= self.hi:
            return float(value + self.ms)
        if isinstance(value, str):
            return self.text(value)
        return value


def records_node(body: Any, records_path: str) -> tuple[Any, Any] | None:
    """(parent, key) of the list the Dataset spec points at (`$`, `$.a.b`); None when nested (`[*]`)."""
    if "[*]" in records_path:
        return None
    parts = [p for p in records_path.lstrip("$").split(".") if p]
    if not parts:
        return None
    node = body
    for part in parts[:-1]:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return (node, parts[-1]) if isinstance(node, dict) and isinstance(node.get(parts[-1]), list) else None


def with_records(body: Any, records_path: str, records_text: list[str]) -> str:
    """The body's JSON text with the record list replaced by already-serialised records."""
    if records_path == "$":
        return "[" + ",".join(records_text) + "]"
    where = records_node(body, records_path)
    if where is None:
        return dumps(body)
    parent, key = where
    saved, parent[key] = parent[key], _HOLE
    try:
        return dumps(body).replace(dumps(_HOLE), "[" + ",".join(records_text) + "]", 1)
    finally:
        parent[key] = saved


def the_records(body: Any, records_path: str) -> list | None:
    if records_path == "$":
        return body if isinstance(body, list) else None
    where = records_node(body, records_path)
    return where[0][where[1]] if where else None


# --- growing a response -------------------------------------------------------------------------------
@dataclass
class Response:
    method: str
    url: str
    params: dict[str, Any]
    request_body: Any
    body_text: str


def _sibling(text: str, n: int) -> str:
    return _TOKEN.sub(lambda m: f"{_SIBLING[m.group(1)]}{n:02d}", text)


def series(templates: list[Template], ds: Dataset, shift: Shift, scale: Scale) -> Iterable[Response]:
    for t in templates:
        params, request_body, body = shift(t.params), shift(t.request_body), shift(t.body)
        per_symbol = bool(_TOKEN.search(dumps(params))) or bool(_TOKEN.search(dumps(request_body)))
        records = the_records(body, ds.records)
        if not per_symbol and records and all(isinstance(x, dict) for x in records):
            # one answer lists every symbol (instruments, tickers): the siblings join the list
            texts = [dumps(x) for x in records]
            texts += [_sibling(s, n) for n in range(scale.siblings) for s in texts if _TOKEN.search(s)]
            text = with_records(body, ds.records, texts)
        else:
            text = dumps(body)
        yield Response(t.method, url_for(t.base_url, params), params, request_body, text)
        if per_symbol:
            p, rb = dumps(params), dumps(request_body)
            for n in range(scale.siblings):
                sp = json.loads(_sibling(p, n))
                yield Response(t.method, url_for(t.base_url, sp), sp, json.loads(_sibling(rb, n)), _sibling(text, n))


def _restrike(text: str, old: str, new: str) -> str:
    """A serialised option record at another strike: its name and the fields that hold the strike."""
    text = re.sub(rf'(-){old}(-[CP]")', rf"\g<1>{new}\g<2>", text)
    text = re.sub(rf'":"{old}(\.0+)?"', lambda m: f'":"{new}{m.group(1) or ""}"', text)
    return re.sub(rf'":{old}(\.0+)?([,}}])', lambda m: f'":{new}{m.group(1) or ""}{m.group(2)}', text)


def options(templates: list[Template], ds: Dataset, shift: Shift, scale: Scale, listed: int) -> Iterable[Response]:
    copies = max(1, math.ceil(scale.strikes_target / max(listed, 1)))
    for t in templates:
        params, body = shift(t.params), shift(t.body)
        records = the_records(body, ds.records)
        if records is None:
            yield Response(t.method, url_for(t.base_url, params), params, None, dumps(body))
            continue
        texts = []
        for x in records:
            s = dumps(x)
            texts.append(s)
            m = _OPTION_IN_TEXT.search(s)
            if m:  # the new strikes sit between this one and the next listed, so the chain stays a chain
                strike = m.group(2)
                texts += [_restrike(s, strike, str(int(strike) + j)) for j in range(1, copies)]
        yield Response(t.method, url_for(t.base_url, params), params, None, with_records(body, ds.records, texts))


def events(templates: list[Template], ds: Dataset, day: dt.date, scale: Scale, share: float,
           rng: random.Random) -> Iterable[Response]:
    """The day's liquidations in the template's shape, paged as the venue pages them."""
    start = int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)
    okx = ds.name == "liquidations"
    streams: dict[str, tuple[Template, list[dict]]] = {}
    for t in templates:  # one stream per request family (OKX instType + instFamily, Deribit currency)
        found = _okx_details(t.body) if okx else _deribit_trades(t.body)
        if t.status == 200 and found:
            key = dumps({k: v for k, v in t.params.items() if k in ("instType", "instFamily", "currency", "kind")})
            streams.setdefault(key, (t, []))[1].extend(found)
    per_stream = max(1, round(scale.events_per_day * share / max(1, len(streams))))
    for n, (_, (t, samples)) in enumerate(sorted(streams.items())):
        times = sorted((start + rng.randrange(DAY_MS) for _ in range(per_stream)), reverse=okx)
        made = []
        for i, ts in enumerate(times):
            x = dict(samples[i % len(samples)])
            if okx:
                x.update(ts=str(ts), sz=f"{float(x['sz']) * rng.uniform(0.2, 3.0):.1f}",
                         bkPx=f"{float(x['bkPx']) * rng.uniform(0.98, 1.02):.1f}")
            else:
                seq = (day.toordinal() * 16 + n) * 1_000_000 + i
                x.update(timestamp=ts, trade_seq=seq, trade_id=str(seq),
                         price=round(x["price"] * rng.uniform(0.98, 1.02), 1),
                         amount=float(max(10, round(x["amount"] * rng.uniform(0.2, 3.0), -1))),
                         liquidation=rng.choice(("M", "T")))
            made.append(x)
        yield from (_okx_pages(t, made, start) if okx else _deribit_pages(t, made, start))


def _okx_details(body: Any) -> list[dict]:
    data = body.get("data") if isinstance(body, dict) else None
    return [d for e in data or [] if isinstance(e, dict) for d in e.get("details") or []]


def _deribit_trades(body: Any) -> list[dict]:
    result = body.get("result") if isinstance(body, dict) else None
    return list(result.get("trades") or []) if isinstance(result, dict) else []


def _okx_pages(t: Template, made: list[dict], start: int) -> Iterable[Response]:
    head = {k: v for k, v in t.body["data"][0].items() if k != "details"}
    after = start + DAY_MS
    for i in range(0, len(made) + 1, 100):  # newest first; a short page ends the paging, as the fetcher stops
        page = made[i:i + 100]
        params = {**t.params, "after": after}
        body = {"code": "0", "msg": "", "data": [{**head, "details": page}] if page else []}
        yield Response("GET", url_for(t.base_url, params), params, None, dumps(body))
        if len(page) < 100:
            return
        after = int(page[-1]["ts"]) + 1


def _deribit_pages(t: Template, made: list[dict], start: int) -> Iterable[Response]:
    lo = start
    for i in range(0, len(made), 1000):
        page = made[i:i + 1000]
        params = {**t.params, "start_timestamp": lo, "end_timestamp": start + DAY_MS - 1}
        body = {**{k: v for k, v in t.body.items() if k != "result"},
                "result": {"trades": page, "has_more": i + 1000 < len(made)}}
        yield Response("GET", url_for(t.base_url, params), params, None, dumps(body))
        lo = page[-1]["timestamp"]


# --- a day, written -----------------------------------------------------------------------------------
def options_listed(templates: Path, sources: list[str]) -> dict[str, int]:
    """Distinct option instruments each venue lists on the template day (the base for strike copies)."""
    out: dict[str, int] = {}
    for source in sources:
        names: set[str] = set()
        for ds in datasets_for(source):
            if ds.fetch is not None and kind_of(ds) == "options":
                for t in read_templates(templates, source, ds.name):
                    names.update(m.group(1) for m in _OPTION_IN_TEXT.finditer(dumps(t.body)))
        if names:
            out[source] = len(names)
    return out


def write_day(templates: Path, root: Path, day: dt.date, index: int, sources: list[str], scale: Scale,
              listed: dict[str, int]) -> dict[str, int]:
    shift = Shift((day - TEMPLATE_DAY).days)
    fetched = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 30), tzinfo=dt.UTC).timestamp()
    with_events = [s for s in sources if any(d.fetch and kind_of(d) == "events" for d in datasets_for(s))]
    stats = {"files": 0, "bytes": 0, "records": 0}
    for source in sources:
        run_id = f"{day.strftime('%Y%m%d')}T003000000000Z-bench{index:04d}"
        writer = DayWriter(root, source, day, run_id)
        for ds in datasets_for(source):
            if ds.fetch is None:
                continue
            templates_ = read_templates(templates, source, ds.name)
            if not templates_:
                continue
            kind = kind_of(ds)
            if kind == "events":
                rng = random.Random(f"{source}.{ds.name}.{day.isoformat()}")
                out = events(templates_, ds, day, scale, 1 / max(1, len(with_events)), rng)
            elif kind == "options":
                out = options(templates_, ds, shift, scale, listed.get(source, 0))
            else:
                out = series(templates_, ds, shift, scale)
            for n, r in enumerate(out):
                writer.write(ds.name, envelope(source, ds.name, day, run_id, r.method, r.url, r.params,
                                               r.request_body, fetched + n * 0.001, r.body_text.encode()))
        writer.manifest(fetched, fetched + 60)
        stats["files"] += writer.files
        stats["bytes"] += writer.bytes
    return stats
