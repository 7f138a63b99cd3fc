-- The funding and REST liquidation marts as one hand-written DuckDB script over the raw tables: the
-- yardstick for the dbt build of the same marts (bench/run.py, ratio (b)). Same rules as the dbt models
-- (stg_*__funding_rates, int_funding_rates_unioned, funding_rates, funding_daily; stg_okx__liquidations,
-- stg_deribit__liquidations, int_liquidations_deduplicated, fct_liquidations), written the way one would
-- by hand: no views, ASOF joins for "the observation in force". The bench lands no websocket history,
-- so the websocket feeds (and the cross-channel matching that only they need) are left out; the bench
-- checks the tables come out identical to dbt's. Output: schema bench_sql.
CREATE SCHEMA IF NOT EXISTS bench_sql;

CREATE OR REPLACE TABLE bench_sql.funding_rates AS
WITH binance_info AS (
    SELECT symbol, observed_date, funding_interval_hours AS hours FROM raw.binance__funding_info
),
binance AS (
    SELECT 'binance' AS exchange, r.symbol, epoch_ms(r.funding_time_ms) AS funding_time, r.funding_rate AS rate,
           coalesce(i.hours, first_i.hours, 8) AS interval_hours
    FROM raw.binance__funding_rates r
    ASOF LEFT JOIN binance_info i ON i.symbol = r.symbol AND i.observed_date <= cast(epoch_ms(r.funding_time_ms) AS date)
    LEFT JOIN (SELECT symbol, arg_min(hours, observed_date) AS hours FROM binance_info GROUP BY symbol) first_i
        ON first_i.symbol = r.symbol
),
bybit_info AS (
    SELECT symbol, observed_date, funding_interval_min / 60.0 AS hours FROM raw.bybit__instruments
    WHERE funding_interval_min IS NOT NULL
),
bybit AS (
    SELECT 'bybit', r.symbol, epoch_ms(r.funding_time_ms), r.funding_rate, coalesce(i.hours, first_i.hours, 8)
    FROM raw.bybit__funding_rates r
    ASOF LEFT JOIN bybit_info i ON i.symbol = r.symbol AND i.observed_date <= cast(epoch_ms(r.funding_time_ms) AS date)
    LEFT JOIN (SELECT symbol, arg_min(hours, observed_date) AS hours FROM bybit_info GROUP BY symbol) first_i
        ON first_i.symbol = r.symbol
),
okx AS (
    SELECT 'okx', inst_id, epoch_ms(funding_time_ms), funding_rate,
           coalesce((funding_time_ms - lag(funding_time_ms) OVER (PARTITION BY inst_id ORDER BY funding_time_ms))
                    / 3600000.0, 8)
    FROM raw.okx__funding_rates
),
settled AS (
    SELECT * FROM binance
    UNION ALL SELECT * FROM bybit
    UNION ALL SELECT * FROM okx
    UNION ALL SELECT 'bitmex', symbol, funding_at, funding_rate,
                     coalesce(nullif(date_diff('second', TIMESTAMP '2000-01-01', funding_interval) / 3600.0, 0), 8)
              FROM raw.bitmex__funding_rates
    -- Hyperliquid: the spacing to the previous settlement when it is 1 or 8 hours, else 8 before 2023-06-08 00:30
    UNION ALL SELECT 'hyperliquid', coin, epoch_ms(time_ms), funding_rate,
                     CASE WHEN spacing IN (1, 8) THEN spacing WHEN time_ms < 1686184200000 THEN 8 ELSE 1 END
              FROM (SELECT *, round((time_ms - lag(time_ms) OVER (PARTITION BY coin ORDER BY time_ms)) / 3600000.0)
                              AS spacing FROM raw.hyperliquid__funding_rates)
),
dated AS (
    -- settlements count for the day of their time
    SELECT *, cast(funding_time AS date) AS funding_date FROM settled
    -- Deribit's hourly records are stamped at the end of the hour they cover
    UNION ALL SELECT 'deribit', instrument_name, epoch_ms(timestamp_ms), interest_1h, 1,
                     cast(epoch_ms(timestamp_ms - 3600000) AS date)
              FROM raw.deribit__funding_rates
),
assets AS (
    SELECT *, CASE WHEN upper(symbol) LIKE 'BTC%' OR upper(symbol) LIKE 'XBT%' THEN 'BTC'
                   WHEN upper(symbol) LIKE 'ETH%' THEN 'ETH' END AS asset
    FROM dated
)
SELECT exchange, symbol, asset, funding_time, rate, cast(interval_hours AS double) AS interval_hours,
       round(rate * 24 / interval_hours * 365, 12) AS annualized_rate, funding_date
FROM assets WHERE asset IS NOT NULL;

CREATE OR REPLACE TABLE bench_sql.funding_daily AS
WITH venue_days AS (
    SELECT funding_date AS date, asset, exchange,
           round(avg(rate * 8 / interval_hours), 12) AS rate_8h,
           round(avg(rate * 8 / interval_hours) * 3 * 365, 12) AS annualized_rate,
           count(*) AS observations,
           string_agg(DISTINCT symbol, ',' ORDER BY symbol) AS symbols
    FROM bench_sql.funding_rates
    GROUP BY 1, 2, 3
),
ran AS (  -- the sources whose funding ingest ran for the day (the latest run of each, any outcome)
    SELECT date, count(DISTINCT source) AS sources_ran FROM raw.ingest_runs WHERE dataset = 'funding_rates' GROUP BY date
)
SELECT v.*, count(*) OVER (PARTITION BY v.date, v.asset) AS exchanges_reporting,
       coalesce(r.sources_ran, 0) AS exchanges_expected,
       r.date IS NOT NULL AND count(*) OVER (PARTITION BY v.date, v.asset) >= r.sources_ran AS is_complete_day
FROM venue_days v LEFT JOIN ran r ON r.date = v.date;

CREATE OR REPLACE TABLE bench_sql.fct_liquidations AS
WITH listed AS (
    SELECT inst_id, inst_type, coalesce(nullif(inst_family, ''), uly) AS inst_family, ct_val,
           upper(ct_val_ccy) AS ct_val_ccy, observed_date
    FROM raw.okx__instruments WHERE ct_val > 0
),
by_instrument AS (
    SELECT inst_id, arg_max(ct_val, observed_date) AS ct_val, arg_max(ct_val_ccy, observed_date) AS ct_val_ccy
    FROM listed GROUP BY inst_id
),
by_family AS (
    SELECT inst_type, inst_family, arg_max(ct_val, observed_date) AS ct_val,
           arg_max(ct_val_ccy, observed_date) AS ct_val_ccy
    FROM listed GROUP BY inst_type, inst_family
),
okx AS (
    SELECT o.*,
           CASE WHEN upper(o.inst_id) LIKE 'BTC%' OR upper(o.inst_id) LIKE 'XBT%' THEN 'BTC'
                WHEN upper(o.inst_id) LIKE 'ETH%' THEN 'ETH' END AS asset,
           coalesce(i.ct_val, f.ct_val) AS cv, coalesce(i.ct_val_ccy, f.ct_val_ccy) AS ccy
    FROM raw.okx__liquidations o
    LEFT JOIN by_instrument i ON i.inst_id = o.inst_id
    LEFT JOIN by_family f ON f.inst_type = o.inst_type AND f.inst_family = coalesce(nullif(o.inst_family, ''), o.uly)
),
deribit AS (
    SELECT t.*, unnest(CASE upper(liquidation)
        WHEN 'T' THEN [CASE lower(direction) WHEN 'sell' THEN 'long' WHEN 'buy' THEN 'short' END]
        WHEN 'M' THEN [CASE lower(direction) WHEN 'buy' THEN 'long' WHEN 'sell' THEN 'short' END]
        WHEN 'MT' THEN ['long', 'short']
        ELSE [cast(NULL AS varchar)] END) AS liquidated_side
    FROM raw.deribit__future_trades t WHERE liquidation IS NOT NULL
),
events AS (
    SELECT 'okx' AS exchange, inst_id AS symbol, asset,
           md5(concat_ws('|', 'okx', cast(inst_id AS varchar), cast(ts_ms AS varchar), cast(side AS varchar),
                         cast(sz AS varchar), cast(bk_px AS varchar))) AS liquidation_id,
           CASE lower(side) WHEN 'sell' THEN 'long' WHEN 'buy' THEN 'short' END AS side,
           bk_px AS price,
           round(CASE WHEN ccy = 'USD' THEN sz * cv / bk_px WHEN ccy = asset THEN sz * cv END, 10) AS quantity,
           round(CASE WHEN ccy = 'USD' THEN sz * cv WHEN ccy = asset THEN sz * cv * bk_px END, 6) AS notional_usd,
           epoch_ms(ts_ms) AS liquidated_at, 'rest' AS channel
    FROM okx
    UNION ALL
    SELECT 'deribit', instrument_name,
           CASE WHEN upper(instrument_name) LIKE 'BTC%' OR upper(instrument_name) LIKE 'XBT%' THEN 'BTC'
                WHEN upper(instrument_name) LIKE 'ETH%' THEN 'ETH' END,
           CASE WHEN upper(liquidation) = 'MT' THEN trade_id || ':' || liquidated_side ELSE trade_id END,
           liquidated_side, price,
           round(CASE WHEN contains(instrument_name, '_') THEN amount ELSE amount / price END, 10),
           round(CASE WHEN contains(instrument_name, '_') THEN amount * price ELSE amount END, 6),
           epoch_ms(timestamp_ms), 'rest'
    FROM deribit
)
SELECT liquidation_id, exchange, symbol, asset, side, price, quantity, notional_usd, liquidated_at, channel
FROM events
WHERE asset IS NOT NULL AND liquidation_id IS NOT NULL AND side IN ('long', 'short') AND price > 0
      AND quantity > 0 AND notional_usd > 0 AND liquidated_at IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY exchange, channel, liquidation_id ORDER BY liquidated_at) = 1;
