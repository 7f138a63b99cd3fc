"""A short, data-driven summary of one day, read from the warehouse (read-only)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from dwh.pipeline import connect


def _table_exists(con, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def day_summary(day: dt.date) -> dict[str, Any]:
    out: dict[str, Any] = {"date": day.isoformat(), "sections": []}
    with connect(read_only=True) as con:
        if _table_exists(con, "marts", "funding_daily"):
            rows = con.execute("""
                SELECT asset, exchange, annualized_rate, observations FROM marts.funding_daily
                WHERE date = ? ORDER BY asset, exchange""", [day]).fetchall()
            out["sections"].append({"title": "Funding (annualized, mean over the day's settlements)",
                                    "columns": ["asset", "exchange", "annualized", "settlements"],
                                    "rows": [(a, e, f"{r:+.1%}", n) for a, e, r, n in rows]})
        for schema, table, title, sql in _EXTRA_SECTIONS:
            if _table_exists(con, schema, table):
                res = con.execute(sql, [day])
                cols = [d[0] for d in res.description]
                out["sections"].append({"title": title, "columns": cols, "rows": res.fetchall()})
    return out


# Later marts add their lines here: (schema, table, title, SQL with one ? for the day).
_EXTRA_SECTIONS: list[tuple[str, str, str, str]] = [
    ("figures", "headline_figures", "Headline figures",
     "SELECT figure, asset, entity, round(value, 4) AS value, unit, verification_status, reason "
     "FROM figures.headline_figures WHERE date = ? AND entity IS NULL ORDER BY figure, asset"),
    ("marts", "open_interest_daily_total", "Open interest (perpetuals, one side, at the close)",
     "SELECT o.asset, round(o.oi_usd / 1e9, 2) AS oi_usd_bn, round(o.oi_change_24h_pct * 100, 1) AS change_24h_pct, "
     "o.exchanges_reporting || '/' || o.exchanges_expected AS venues, "
     "round(f.oi_weighted_annualized_rate * 100, 1) AS funding_oi_weighted_pct "
     "FROM marts.open_interest_daily_total o LEFT JOIN marts.funding_daily_total f USING (date, asset) "
     "WHERE o.date = ? ORDER BY o.asset"),
    ("marts", "options_expiries_total", "Next option expiry (all venues)",
     "SELECT asset, expiry, round(total_oi, 0) AS total_oi_coins, round(notional_usd / 1e9, 2) AS notional_usd_bn, "
     "round(put_call_ratio, 2) AS put_call, max_pain_strike, exchanges_reporting AS venues "
     "FROM marts.options_expiries_total WHERE snapshot_date = ? AND is_next_expiry ORDER BY asset"),
    ("marts", "entity_holdings_daily", "Entity holdings (at the close; status across providers)",
     "SELECT entity, chain, asset, round(balance, 2) AS balance, round(balance_change_1d, 2) AS change_1d, "
     "round(balance_change_30d, 2) AS change_30d, round(usd_value / 1e6, 1) AS usd_m, "
     "addresses_with_data || '/' || addresses_tracked AS addresses, verification_status, sources "
     "FROM marts.entity_holdings_daily WHERE date = ? ORDER BY usd_value DESC NULLS LAST, entity, chain, asset"),
]


def print_summary(summary: dict[str, Any]) -> None:
    print(f"\nSummary of {summary['date']} (UTC close)")
    for section in summary["sections"]:
        print(f"\n{section['title']}")
        rows = [tuple("" if v is None else str(v) for v in r) for r in section["rows"]]
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(section["columns"])]
        print("  " + "  ".join(c.ljust(w) for c, w in zip(section["columns"], widths)))
        for r in rows:
            print("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)))
        if not rows:
            print("  (no rows for this day)")
