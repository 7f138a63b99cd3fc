"""The daily brief: `write_brief(day)` writes $DWH_DATA_DIR/reports/brief_<D>.md and .html.

Every value and every label comes from the warehouse: the figures and their verification status from
figures.headline_figures, the checks from figures.check_results and audit.source_freshness, the detail
(funding per venue, the expiry calendar, holdings) from the marts.
Only the wording is fixed here. A figure is always printed with its label: verified by N sources,
single source, disputed or unverified. The reasons the mart gives are split into their causes, and each
cause is one numbered caveat, listed once under Caveats with the figures it concerns; a figure points to
its caveats by number ("unverified [1, 3]") instead of repeating the reason in every row.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from dwh import charts
from dwh.brief_render import render_html, render_markdown
from dwh.pipeline import connect
from ingest.config import data_dir

ASSETS = ("BTC", "ETH")
HISTORY_DAYS = 60


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)  # (caption, header, rows)
    charts: list[str] = field(default_factory=list)  # inline SVG, HTML only


@dataclass
class Brief:
    day: dt.date
    title: str
    intro: list[str]
    sections: list[Section]


# --- formatting ----------------------------------------------------------------------------------------
def usd(v: float | None) -> str:
    if v is None:
        return "n/a"
    a = abs(v)
    for scale, suffix in ((1e9, "B"), (1e6, "M")):
        if a >= scale:
            return f"${v / scale:,.2f}{suffix}"
    return f"${v:,.0f}" if a >= 100 else f"${v:,.2f}"


def pct(v: float | None, signed: bool = False) -> str:
    return "n/a" if v is None else (f"{v * 100:+.1f}%" if signed else f"{v * 100:.1f}%")


def coins(v: float | None, asset: str) -> str:
    return "n/a" if v is None else (f"{v:,.0f} {asset}" if abs(v) >= 100 else f"{v:,.4f} {asset}")


def value_text(f: dict[str, Any]) -> str:
    unit, v = f["unit"], f["value"]
    if unit == "usd":
        return usd(v)
    if unit in ("ratio", "annualized"):
        return pct(v, signed=f["figure"].endswith("_change_24h_pct"))
    if unit == "coins":
        return coins(v, f["asset"])
    return "n/a" if v is None else f"{v:,.4g}"


def label(f: dict[str, Any] | None) -> str:
    """The figure's verification label, with the reason unless it is verified."""
    if f is None:
        return "no figure"
    status, reason = f["verification_status"], (f["reason"] or "").strip()
    if status == "verified":
        names = (["warehouse"] + f["compared_with"].split(",")) if f["compared_with"] else f["sources"].split(",")
        return f"verified by {f['independent_sources']} sources: {', '.join(n for n in names if n)}"
    text = {"single_source": "single source", "disputed": "disputed", "unverified": "unverified"}[status]
    return f"{text}: {reason}" if reason else text


def causes(reason: str | None) -> list[str]:
    """A mart reason is its causes joined by '; ' (headline_figures.sql): each one is a caveat of its own."""
    return list(dict.fromkeys(c.strip() for c in (reason or "").split("; ") if c.strip()))


def figure_name(f: dict[str, Any]) -> str:
    return f"{f['entity']} ({f['asset']})" if f["entity"] else f"{f['label']} ({f['asset']})"


class Notes:
    """The brief's caveats, one per cause, numbered in the order the brief first points to them."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.figures: dict[int, dict[str, str]] = {}  # caveat number -> {figure name: its status}

    def refs(self, f: dict[str, Any] | None) -> list[int]:
        if f is None or f["verification_status"] == "verified":
            return []
        out = []
        for cause in causes(f["reason"]):
            n = self.numbers.setdefault(cause, len(self.numbers) + 1)
            self.figures.setdefault(n, {})[figure_name(f)] = f["verification_status"].replace("_", " ")
            out.append(n)
        return out

    def label(self, f: dict[str, Any] | None) -> str:
        """The label with pointers to its caveats: 'unverified [1, 3]'; verified figures name their sources."""
        if f is None or f["verification_status"] == "verified":
            return label(f)
        text = {"single_source": "single source", "disputed": "disputed", "unverified": "unverified"}[
            f["verification_status"]]
        refs = sorted(self.refs(f))
        return f"{text} [{', '.join(map(str, refs))}]" if refs else text

    def listed(self) -> list[str]:
        """'[2] coverage 5/6, missing: okx. Unverified: Open interest (BTC); ...' (labels hold commas)."""
        out = []
        for cause, n in self.numbers.items():
            by_status: dict[str, list[str]] = {}
            for name, status in self.figures[n].items():
                by_status.setdefault(status, []).append(name)
            out.append(f"[{n}] {cause.rstrip('.')}. " + " ".join(
                f"{status.capitalize()}: {'; '.join(names)}." for status, names in by_status.items()))
        return out


class Said:
    """Figures in a sentence: value and label, the reasons as pointers to the caveats."""

    def __init__(self, notes: Notes) -> None:
        self.notes = notes

    def __call__(self, f: dict[str, Any] | None) -> str:
        if f is None:
            return "n/a (no figure)"
        return f"{value_text(f)} ({self.notes.label(f)})"


# --- data ----------------------------------------------------------------------------------------------
def _exists(con, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def _rows(con, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    # DECIMAL columns arrive as Decimal; the brief only formats numbers, so floats it is
    return [{c: float(v) if isinstance(v, Decimal) else v for c, v in zip(cols, r)} for r in cur.fetchall()]


class NoFiguresLayer(FileNotFoundError):
    """The warehouse has no figures.headline_figures: dbt has not built the figures the brief is written from."""


def load_figures(con, day: dt.date) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    # the figures layer only: marts.headline_figures is a view kept for BI, never a stand-in for it
    if not _exists(con, "figures", "headline_figures"):
        raise NoFiguresLayer("the warehouse has no figures.headline_figures (the figures layer dbt builds): "
                             f"run the pipeline for the day first (dwh run --date {day})")
    rows = _rows(con, "SELECT * FROM figures.headline_figures WHERE date = ?", [day])
    return {(r["figure"], r["asset"], r["entity"]): r for r in rows}


# --- sections ------------------------------------------------------------------------------------------
def figure_table(figs: list[dict[str, Any]], notes: Notes) -> tuple[str, list[str], list[list[str]]]:
    rows = [[f["label"], f["asset"] if not f["entity"] else f"{f['entity']} ({f['asset']})", value_text(f),
             f["coverage_text"] or "", notes.label(f)] for f in figs]
    return "Figures", ["Figure", "Asset", "Value", "Venues", "Verification"], rows


COMPLETENESS_TEXT = {"complete": "complete", "sampled_lower_bound": "lower bound (sampled feed)",
                     "partial_window": "partial window"}
COMPLETENESS_RANK = ("partial_window", "sampled_lower_bound", "complete")  # worst first


def _clock(t: dt.datetime, day: dt.date) -> str:
    return "24:00" if t.date() > day else f"{t:%H:%M}"


def liquidation_venue_table(con, day: dt.date) -> tuple[str, list[str], list[list[str]]] | None:
    """What the liquidation figures rest on: each venue's longs, shorts and total over BTC and ETH for D, and
    how complete its count is (marts.liquidations_daily_by_exchange; the worst of its assets)."""
    if not _exists(con, "marts", "liquidations_daily_by_exchange"):
        return None
    rows = _rows(con, """
        SELECT exchange, sum(long_usd) AS long_usd, sum(short_usd) AS short_usd, sum(total_usd) AS total_usd,
               list(DISTINCT completeness) AS completeness, min(hours_covered) AS hours,
               min(covered_from) AS covered_from, max(covered_to) AS covered_to
        FROM marts.liquidations_daily_by_exchange WHERE date = ? GROUP BY exchange ORDER BY exchange""", [day])
    table = []
    for r in rows:
        worst = next(c for c in (*COMPLETENESS_RANK, None) if c is None or c in r["completeness"])
        text = COMPLETENESS_TEXT.get(worst, str(worst))
        if worst == "partial_window":
            text += (f", {r['hours']}/24 h" + (f" ({_clock(r['covered_from'], day)}-{_clock(r['covered_to'], day)} UTC)"
                                                if r["covered_from"] and r["covered_to"] else ""))
        table.append([r["exchange"], usd(r["long_usd"]), usd(r["short_usd"]), usd(r["total_usd"]), text])
    return (f"Liquidations per venue, BTC and ETH, {day}", ["Venue", "Longs", "Shorts", "Total", "Completeness"],
            table)


def liquidations(con, day: dt.date, figs: dict, notes: Notes) -> Section:
    s = Section("Liquidations")
    said = Said(notes)
    total = figs.get(("liquidations_total_usd", "ALL", None))
    ratio = figs.get(("long_liquidation_ratio", "ALL", None))
    avg = figs.get(("long_liquidation_ratio_30d_avg", "ALL", None))
    venues = liquidation_venue_table(con, day)
    if total is None:
        s.paragraphs.append(f"No liquidation figures for {day}.")
        if venues is not None:
            s.tables.append(venues)
        return s
    s.paragraphs.append(f"Liquidations across BTC and ETH came to {said(total)}, from {total['source_count']} "
                        f"venues ({total['sources'] or 'none'}).")
    if ratio is not None:
        text = f"Longs were {said(ratio)} of it"
        if avg is not None and avg["value"] is not None and ratio["value"] is not None:
            gap = (ratio["value"] - avg["value"]) * 100
            text += (f", against a 30-day average of {said(avg)}: {abs(gap):.1f} percentage points "
                     f"{'above' if gap >= 0 else 'below'} it")
        elif avg is not None:
            text += f"; the 30-day average is {said(avg)}"
        s.paragraphs.append(text + ".")
    per_asset = [figs[(name, a, None)] for a in (*ASSETS, "ALL")
                 for name in ("liquidations_total_usd", "long_liquidation_ratio", "long_liquidation_ratio_30d_avg")
                 if (name, a, None) in figs]
    s.tables.append(figure_table(per_asset, notes))
    if venues is not None:
        s.tables.append(venues)
    history = _rows(con, """
        SELECT date, figure, value FROM figures.headline_figures
        WHERE asset = 'ALL' AND figure IN ('long_liquidation_ratio', 'long_liquidation_ratio_30d_avg')
          AND date BETWEEN ? AND ? ORDER BY date""", [day - dt.timedelta(days=HISTORY_DAYS), day])
    series = {"long share": [(r["date"], r["value"]) for r in history if r["figure"] == "long_liquidation_ratio"],
              "30-day average": [(r["date"], r["value"]) for r in history
                                 if r["figure"] == "long_liquidation_ratio_30d_avg"]}
    s.charts.append(charts.line_chart("Long share of liquidations (BTC + ETH) and its 30-day average", series,
                                      lambda v: f"{v * 100:.0f}%", zero_based=True))
    return s


def funding(con, day: dt.date, figs: dict, notes: Notes) -> Section:
    s = Section("Funding")
    said = Said(notes)
    for a in ASSETS:
        f = figs.get(("funding_annualized_oi_weighted", a, None))
        if f is not None:
            s.paragraphs.append(f"{a} funding, weighted by open interest across {f['source_count']} venues, ran at "
                                f"{said(f)} a year.")
    s.tables.append(figure_table([figs[("funding_annualized_oi_weighted", a, None)] for a in (*ASSETS, "ALL")
                                  if ("funding_annualized_oi_weighted", a, None) in figs], notes))
    if _exists(con, "marts", "funding_daily"):
        rows = _rows(con, "SELECT exchange, asset, annualized_rate, observations FROM marts.funding_daily "
                          "WHERE date = ? ORDER BY exchange, asset", [day])
        venues = sorted({r["exchange"] for r in rows})
        rate = {(r["exchange"], r["asset"]): r for r in rows}
        table = []
        for v in venues:
            cells = [v]
            for a in ASSETS:
                r = rate.get((v, a))
                cells.append("n/a" if r is None else f"{pct(r['annualized_rate'])} ({r['observations']} settlements)")
            cells.append(f"single source: {v}'s own settlements")
            table.append(cells)
        s.tables.append(("Funding per venue, annualized (mean of the day's settlements)",
                         ["Venue", *ASSETS, "Verification"], table))
        s.charts.append(charts.bar_chart(
            f"Funding by venue, annualized, {day}", venues,
            {a: [rate[(v, a)]["annualized_rate"] if (v, a) in rate else None for v in venues] for a in ASSETS},
            lambda x: f"{x * 100:.0f}%"))
    return s


def open_interest(con, day: dt.date, figs: dict, notes: Notes) -> Section:
    s = Section("Open interest")
    said = Said(notes)
    for a in (*ASSETS, "ALL"):
        level = figs.get(("open_interest_usd", a, None))
        change = figs.get(("open_interest_change_24h_pct", a, None))
        if level is not None:
            name = "BTC and ETH" if a == "ALL" else a
            s.paragraphs.append(f"{name} perpetual open interest at the close: {said(level)}; over 24 hours "
                                f"{said(change)}.")
    s.tables.append(figure_table([figs[(n, a, None)] for a in (*ASSETS, "ALL")
                                  for n in ("open_interest_usd", "open_interest_change_24h_pct") if (n, a, None) in figs],
                                 notes))
    return s


def options(con, day: dt.date, figs: dict, notes: Notes) -> Section:
    s = Section("Next option expiry")
    said = Said(notes)
    if not _exists(con, "marts", "options_expiries_total"):
        s.paragraphs.append(f"No option data for {day}.")
        return s
    nxt = {r["asset"]: r for r in _rows(con, "SELECT asset, expiry, exchanges_reporting FROM marts.options_expiries_total "
                                              "WHERE snapshot_date = ? AND is_next_expiry", [day])}
    for a in ASSETS:
        if a not in nxt:
            continue
        oi = figs.get(("options_next_expiry_oi", a, None))
        notional = figs.get(("options_next_expiry_notional_usd", a, None))
        pain = figs.get(("options_next_expiry_max_pain", a, None))
        s.paragraphs.append(
            f"{a}: the next expiry, {nxt[a]['expiry']:%a %d %b %Y %H:%M} UTC, holds {said(oi)}, "
            f"{said(notional)} in notional, with max pain at {said(pain)}.")
    s.tables.append(figure_table([figs[(n, a, None)] for a in ASSETS for n in (
        "options_next_expiry_oi", "options_next_expiry_notional_usd", "options_next_expiry_max_pain") if (n, a, None) in figs],
        notes))
    calendar = _rows(con, """
        SELECT expiry, asset, notional_usd FROM marts.options_expiries_total
        WHERE snapshot_date = ? AND expiry IN (
            SELECT DISTINCT expiry FROM marts.options_expiries_total WHERE snapshot_date = ? ORDER BY expiry LIMIT 10)
        ORDER BY expiry""", [day, day])
    expiries = sorted({r["expiry"] for r in calendar})
    notional = {(r["expiry"], r["asset"]): r["notional_usd"] for r in calendar}
    s.charts.append(charts.bar_chart(
        f"Expiry calendar: open interest notional per expiry (as of {day})", [f"{e:%d %b}" for e in expiries],
        {a: [notional.get((e, a)) for e in expiries] for a in ASSETS}, usd))
    return s


def holdings(con, day: dt.date, figs: dict, notes: Notes, top: int = 8) -> Section:
    s = Section("Entity holdings")
    said = Said(notes)
    if not _exists(con, "marts", "entity_holdings_daily"):
        s.paragraphs.append(f"No holdings data for {day}.")
        return s
    moves = _rows(con, """
        SELECT entity, asset, balance, balance_change_1d, balance_change_30d, usd_value, price_usd
        FROM marts.entity_holdings_daily WHERE date = ? AND balance IS NOT NULL
        ORDER BY abs(coalesce(balance_change_1d, 0) * coalesce(price_usd, 0)) DESC, usd_value DESC NULLS LAST, entity
        LIMIT ?""", [day, top])
    tracked = con.execute("SELECT count(*) FROM marts.entity_holdings_daily WHERE date = ?", [day]).fetchone()[0]
    if moves:
        big = moves[0]
        f = figs.get(("entity_balance", big["asset"], big["entity"]))
        change = big["balance_change_1d"]
        s.paragraphs.append(
            f"Of the entity balances tracked ({tracked}), the largest move of the day was {big['entity']}'s: "
            + (f"{coins(change, big['asset'])} ({usd(change * big['price_usd']) if big['price_usd'] else 'n/a'}) "
               if change is not None else "no complete comparison with the day before, ")
            + f"to {said(f)}.")
    rows = []
    for m in moves:
        f = figs.get(("entity_balance", m["asset"], m["entity"]))
        rows.append([m["entity"], coins(m["balance"], m["asset"]), coins(m["balance_change_1d"], m["asset"]),
                     coins(m["balance_change_30d"], m["asset"]), usd(m["usd_value"]), notes.label(f)])
    s.tables.append((f"The {len(rows)} largest moves of the day (USD)",
                     ["Entity", "Balance", "1 day", "30 days", "USD value", "Verification"], rows))
    for m in moves[:3]:
        hist = _rows(con, "SELECT date, balance FROM marts.entity_holdings_daily WHERE entity = ? AND asset = ? "
                          "AND date BETWEEN ? AND ? ORDER BY date",
                     [m["entity"], m["asset"], day - dt.timedelta(days=HISTORY_DAYS), day])
        s.charts.append(charts.line_chart(f"{m['entity']}: {m['asset']} held at each day's close",
                                          {m["asset"]: [(r["date"], r["balance"]) for r in hist]},
                                          lambda v: f"{v:,.0f}"))
    return s


def caveats(con, day: dt.date, figs: dict, notes: Notes) -> Section:
    s = Section("Caveats")
    market = [f for f in figs.values() if f["entity"] is None]
    entities = [f for f in figs.values() if f["entity"] is not None]
    # every market figure that is not verified, and every disputed entity balance, has its causes listed
    # even where no section printed it
    for status in ("unverified", "disputed", "single_source"):
        for f in sorted((f for f in market if f["verification_status"] == status),
                        key=lambda f: (f["figure"], f["asset"])):
            notes.refs(f)
    for f in sorted((f for f in entities if f["verification_status"] == "disputed"), key=lambda f: f["entity"]):
        notes.refs(f)
    s.paragraphs.extend(notes.listed())
    if entities:
        counts: dict[str, int] = {}
        for f in entities:
            counts[f["verification_status"]] = counts.get(f["verification_status"], 0) + 1
        s.paragraphs.append("Entity balances: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items()))
                            + ".")
    if _exists(con, "figures", "check_results"):
        dq = _rows(con, """SELECT status, severity, "table", expectation, observed_value FROM figures.check_results
                           WHERE run_date = ? ORDER BY severity, "table", expectation""", [day])
        bad = [r for r in dq if r["status"] in ("failed", "error")]
        s.paragraphs.append(f"Data quality: {len(dq) - len(bad)} of {len(dq)} checks passed or were skipped for {day}"
                            + (f"; {len(bad)} failed." if bad else "."))
        # a domain no enabled source feeds is said once, with the reason the runner recorded
        unfed = sorted({r["observed_value"] for r in dq if r["status"] == "skipped" and r["observed_value"]
                        and (r["observed_value"].startswith("no enabled source") or r["observed_value"].endswith(" is not enabled"))})
        if unfed:
            s.paragraphs.append("Not checked, as nothing enabled feeds them: " + "; ".join(unfed) + ".")
        if bad:
            s.tables.append(("Failed checks", ["Severity", "Table", "Check", "Observed"],
                             [[r["severity"], r["table"], r["expectation"], (r["observed_value"] or "")[:80]]
                              for r in bad]))
    else:
        s.paragraphs.append(f"Data quality: no checks recorded for {day}.")
    if _exists(con, "audit", "source_freshness"):
        # one verdict per table and day (the table's key); a table without any data is not called stale
        stale = _rows(con, """SELECT schema_name || '.' || table_name AS relation, status, age_hours
                              FROM audit.source_freshness
                              WHERE run_date = ? AND status IN ('warn', 'error') AND max_loaded_at >= TIMESTAMPTZ '2000-01-01'
                              ORDER BY relation""", [day])
        # ages on the run's clock (dbt_project/macros/run_clock.sql): the same whenever the check ran
        s.paragraphs.append("Source freshness: " + ("; ".join(f"{r['relation']}'s newest data {r['age_hours']:.1f} h "
                                                              f"before the run's reference time" for r in stale)
                                                    if stale else "every loaded source was fresh") + ".")
    return s


def compose(con, day: dt.date) -> Brief:
    figs = load_figures(con, day)
    market = [f for f in figs.values() if f["entity"] is None]
    counts = {k: sum(1 for f in market if f["verification_status"] == k)
              for k in ("verified", "single_source", "disputed", "unverified")}
    intro = [f"Figures for the UTC day {day}: events over the day, states as of {day + dt.timedelta(days=1)} 00:00 UTC.",
             (f"Of {len(market)} market figures, {counts['verified']} are verified by at least two independent "
              f"sources, {counts['single_source']} rest on a single source, {counts['disputed']} are disputed and "
              f"{counts['unverified']} unverified; a figure's bracketed numbers point to its caveats, listed "
              f"once each under Caveats.")
             if market else f"No headline figures were built for {day}."]
    notes = Notes()
    sections = [liquidations(con, day, figs, notes), funding(con, day, figs, notes), open_interest(con, day, figs, notes),
                options(con, day, figs, notes), holdings(con, day, figs, notes), caveats(con, day, figs, notes)]
    return Brief(day, f"Crypto derivatives brief, {day}", intro, sections)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_brief(day: dt.date) -> Path:
    """Write brief_<D>.md and brief_<D>.html under $DWH_DATA_DIR/reports; returns the markdown path."""
    with connect(read_only=True) as con:
        brief = compose(con, day)
    out = data_dir() / "reports"
    out.mkdir(parents=True, exist_ok=True)
    md = out / f"brief_{day.isoformat()}.md"
    _write(md, render_markdown(brief))
    _write(out / f"brief_{day.isoformat()}.html", render_html(brief))
    return md
