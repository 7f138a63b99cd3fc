"""The daily brief from a small hand-made warehouse: every figure with its label, its reasons as numbered
caveats listed once, sentences that follow the data, an HTML page with inline charts and nothing fetched
from elsewhere."""
from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from dwh.brief import NoFiguresLayer, write_brief

DAY = dt.date(2026, 11, 26)
FIGURE_COLUMNS = ("date DATE, figure VARCHAR, asset VARCHAR, entity VARCHAR, label VARCHAR, value DOUBLE, unit VARCHAR, "
                  "source_count INTEGER, sources VARCHAR, coverage DOUBLE, coverage_text VARCHAR, max_deviation DOUBLE, "
                  "tolerance DOUBLE, independent_sources INTEGER, compared_with VARCHAR, verification_status VARCHAR, "
                  "reason VARCHAR")
VENUES5 = "binance,bitmex,bybit,deribit,okx"


def fig(figure, asset, value, unit, status, reason="", label=None, entity=None, sources=VENUES5, date=DAY,
        compared="coinalyze,coinglass", coverage="5/5"):
    n = len(sources.split(","))
    independent = 1 + len(compared.split(",")) if status in ("verified", "disputed") and compared else n if entity else 1
    return (date, figure, asset, entity, label or figure, value, unit, n, sources, 1.0, coverage, 0.001, 0.02,
            independent, compared if status in ("verified", "disputed") else "", status, reason)


@pytest.fixture()
def warehouse(data_dir):
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    for schema in ("marts", "figures", "audit"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute(f"CREATE TABLE figures.headline_figures ({FIGURE_COLUMNS})")
    rows = [
        fig("liquidations_total_usd", "ALL", 1.52e9, "usd", "verified", "agrees with coinalyze, coinglass within 2.00%", "Liquidations"),
        fig("long_liquidation_ratio", "ALL", 0.971, "ratio", "verified", "agrees", "Long share of liquidations"),
        fig("long_liquidation_ratio_30d_avg", "ALL", 0.302, "ratio", "disputed",
            "coinglass differs by 4.10% (tolerance 3.00%)", "Long share, mean of the 30 days before"),
        fig("open_interest_usd", "BTC", 22.1e9, "usd", "unverified", "coverage 5/6, missing: okx", "Open interest",
            coverage="5/6"),
        fig("open_interest_change_24h_pct", "BTC", -0.0981, "ratio", "unverified", "coverage 5/6, missing: okx",
            "Open interest, change over 24 h", coverage="5/6"),
        fig("funding_annualized_oi_weighted", "BTC", 0.398, "annualized", "verified", "agrees",
            "Funding, annualized, weighted by open interest"),
        fig("options_next_expiry_oi", "BTC", 91000.0, "coins", "single_source",
            "no independent source covers this figure: the warehouse's value is the only one", "Next expiry, open interest",
            sources="binance,bybit,deribit,okx", coverage="4/4"),
        fig("options_next_expiry_notional_usd", "BTC", 8.2e9, "usd", "single_source",
            "no independent source covers this figure: the warehouse's value is the only one", "Next expiry, notional",
            sources="binance,bybit,deribit,okx", coverage="4/4"),
        fig("options_next_expiry_max_pain", "BTC", 91000.0, "usd", "single_source",
            "no independent source covers this figure: the warehouse's value is the only one", "Next expiry, max pain",
            sources="binance,bybit,deribit,okx", coverage="4/4"),
        fig("entity_balance", "BTC", 27733.13, "coins", "disputed", "1 of 2 addresses disputed", "Entity balance",
            entity="Tron/HTX BTC reserve", sources="blockstream,mempool_space", compared=""),
    ]
    rows += [fig(f, "ALL", v, "ratio", "verified", "agrees", date=DAY - dt.timedelta(days=d))
             for d in range(1, 5) for f, v in (("long_liquidation_ratio", 0.3 + d / 100),
                                                ("long_liquidation_ratio_30d_avg", 0.31))]
    con.executemany(f"INSERT INTO figures.headline_figures VALUES ({', '.join('?' * 17)})", rows)
    con.execute("CREATE TABLE marts.funding_daily AS SELECT * FROM (VALUES "
                "(DATE '2026-11-26', 'BTC', 'binance', 0.41, 3), (DATE '2026-11-26', 'ETH', 'binance', 0.43, 6), "
                "(DATE '2026-11-26', 'BTC', 'deribit', 0.37, 24)) t(date, asset, exchange, annualized_rate, observations)")
    con.execute("CREATE TABLE marts.options_expiries_total AS SELECT * FROM (VALUES "
                "(DATE '2026-11-26', 'BTC', TIMESTAMP '2026-11-27 08:00:00', 8.2e9, true, 4), "
                "(DATE '2026-11-26', 'BTC', TIMESTAMP '2026-12-04 08:00:00', 0.9e9, false, 4)) "
                "t(snapshot_date, asset, expiry, notional_usd, is_next_expiry, exchanges_reporting)")
    con.execute("CREATE TABLE marts.entity_holdings_daily AS SELECT * FROM (VALUES "
                "(DATE '2026-11-25', 'Tron/HTX BTC reserve', 'BTC', 27641.3, 50.0, NULL, 90000.0, 2.49e9), "
                "(DATE '2026-11-26', 'Tron/HTX BTC reserve', 'BTC', 27733.13, 91.83, NULL, 90297.4, 2.50e9)) "
                "t(date, entity, asset, balance, balance_change_1d, balance_change_30d, price_usd, usd_value)")
    con.execute("""CREATE TABLE figures.check_results AS SELECT * FROM (VALUES
                   (DATE '2026-11-26', 'passed', 'error', 'marts.funding_daily', 'expect_x:key', NULL),
                   (DATE '2026-11-26', 'failed', 'warning', 'marts.open_interest_daily', 'row_count_vs_previous:vs_previous_7d', '10'))
                   t(run_date, status, severity, "table", expectation, observed_value)""")
    con.execute("CREATE TABLE audit.source_freshness AS SELECT * FROM (VALUES "
                "(DATE '2026-11-26', 'raw', 'okx__open_interest_hist', 'warn', 40.5, TIMESTAMPTZ '2026-11-25 08:00:00+00')) "
                "t(run_date, schema_name, table_name, status, age_hours, max_loaded_at)")
    con.close()
    return data_dir


def test_writes_markdown_and_html(warehouse):
    md = write_brief(DAY)
    assert md == warehouse / "reports" / "brief_2026-11-26.md"
    assert (warehouse / "reports" / "brief_2026-11-26.html").exists()


def test_long_ratio_is_set_against_its_30_day_average_with_labels(warehouse):
    text = write_brief(DAY).read_text()
    assert ("Longs were 97.1% (verified by 3 sources: warehouse, coinalyze, coinglass) of it, against a 30-day "
            "average of 30.2% (disputed [1]): 66.9 percentage points above it.") in text
    assert "[1] coinglass differs by 4.10% (tolerance 3.00%). Disputed: Long share, mean of the 30 days before (ALL)." in text
    assert "$1.52B (verified by 3 sources: warehouse, coinalyze, coinglass)" in text


def test_every_figure_is_printed_with_its_label(warehouse):
    text = write_brief(DAY).read_text()
    expected = {
        "Open interest | BTC | $22.10B | 5/6 | unverified [2] |",
        "Open interest, change over 24 h | BTC | -9.8% | 5/6 | unverified [2] |",
        "Next expiry, open interest | BTC | 91,000 BTC | 4/4 | single source [3] |",
        "Next expiry, max pain | BTC | $91,000 | 4/4 | single source [3] |",
        "Funding, annualized, weighted by open interest | BTC | 39.8% | 5/5 | verified by 3 sources",
        "Long share, mean of the 30 days before | ALL | 30.2% | 5/5 | disputed [1] |",
        "Tron/HTX BTC reserve | 27,733 BTC | 91.8300 BTC | n/a | $2.50B | disputed [4] |",
    }
    for row in expected:
        assert row in text, row
    assert "[4] 1 of 2 addresses disputed. Disputed: Tron/HTX BTC reserve (BTC)." in text


def test_caveats_name_the_failed_checks_and_stale_sources(warehouse):
    caveats = write_brief(DAY).read_text().split("## Caveats", 1)[1]
    assert ("[2] coverage 5/6, missing: okx. Unverified: Open interest (BTC); Open interest, change over 24 h (BTC)."
            in caveats)
    assert "1 of 2 checks passed or were skipped for 2026-11-26; 1 failed." in caveats
    assert "marts.open_interest_daily" in caveats
    assert "raw.okx__open_interest_hist's newest data 40.5 h before the run's reference time" in caveats


def test_one_caveat_per_cause_listed_once_and_pointed_to(warehouse):
    """A cause shared by many figures (an outage behind nine rows) is one numbered caveat; a reason made of
    several causes points to each; the figure rows carry the numbers, not the words."""
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"))
    outage = "coverage 4/5, missing: bitmex"
    stale = "stale input: raw.bitmex__funding_rates (49.5 h old)"
    con.execute("DELETE FROM figures.headline_figures WHERE date = ?", [DAY])
    rows = [fig(name, asset, 1.0, "usd", "unverified", f"{outage}; {stale}" if name.startswith("funding") else outage,
                label=f"{name} label", coverage="4/5")
            for name in ("liquidations_total_usd", "open_interest_usd", "funding_annualized_oi_weighted")
            for asset in ("BTC", "ETH", "ALL")]
    con.executemany(f"INSERT INTO figures.headline_figures VALUES ({', '.join('?' * 17)})", rows)
    con.close()
    text = write_brief(DAY).read_text()
    assert text.count(outage) == 1, text
    assert text.count(stale) == 1, text
    caveats = text.split("## Caveats", 1)[1]
    assert caveats.count("[1] " + outage + ". Unverified: ") == 1
    assert "[2] " + stale + ". Unverified: funding_annualized_oi_weighted label (BTC);" in caveats
    assert "| liquidations_total_usd label | ETH | $1.00 | 4/5 | unverified [1] |" in text
    assert "| funding_annualized_oi_weighted label | ALL | $1.00 | 4/5 | unverified [1, 2] |" in text


def test_sentences_follow_the_data(warehouse):
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"))
    con.execute("UPDATE figures.headline_figures SET value = 0.25 WHERE date = ? AND figure = 'long_liquidation_ratio'", [DAY])
    con.close()
    text = write_brief(DAY).read_text()
    assert "Longs were 25.0% (" in text and "5.2 percentage points below it" in text


def test_html_has_inline_charts_and_no_external_resources(warehouse):
    write_brief(DAY)
    page = (warehouse / "reports" / "brief_2026-11-26.html").read_text()
    assert page.count("<svg") >= 4  # long share vs average, funding by venue, expiry calendar, holdings
    assert "<script" not in page.lower()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert '<span class="disputed">disputed [1]</span>' in page
    assert '<td class="unverified">unverified [2]</td>' in page
    assert "Long share of liquidations (BTC + ETH) and its 30-day average" in page


def test_without_the_figures_layer_the_brief_says_so_and_writes_nothing(warehouse):
    """The brief reads figures.headline_figures only: the view kept for BI under the old name
    (marts.headline_figures) is no stand-in, and a warehouse without the layer is an error that names it."""
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"))
    con.execute("CREATE TABLE marts.headline_figures AS SELECT * FROM figures.headline_figures")
    con.execute("DROP TABLE figures.headline_figures")
    con.close()
    with pytest.raises(NoFiguresLayer, match=r"no figures\.headline_figures .*dwh run --date 2026-11-26"):
        write_brief(DAY)
    assert not (warehouse / "reports" / "brief_2026-11-26.md").exists()
    assert issubclass(NoFiguresLayer, FileNotFoundError)  # `dwh brief` reports it as a one-line usage error
