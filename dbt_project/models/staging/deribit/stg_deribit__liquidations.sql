-- Deribit forced trades over REST (public/get_last_trades_by_currency_and_time, kind=future): the trades
-- flagged `liquidation`. T = the taker was liquidated, M = the maker, MT = both; `direction` is the taker's
-- side, so T + sell or M + buy liquidated a long, T + buy or M + sell a short. An MT trade counts as two
-- liquidations of the full amount, one per side (ids <trade_id>:long and <trade_id>:short). Inverse
-- instruments (BTC-PERPETUAL, BTC-27NOV26) trade USD amounts, linear ones (BTC_USDC-PERPETUAL) coins.
-- Shared with the websocket feed (macro deribit_liquidation_rows).
{{ deribit_liquidation_rows(raw_or_empty('raw_liquidations', 'deribit__future_trades'), 'rest') }}
