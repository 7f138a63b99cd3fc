-- OKX filled liquidation orders over REST. OKX prints the order's side (a sell closes, i.e. liquidates, a
-- long); `sz` counts contracts of ct_val ct_val_ccy from the instruments list (the coin for linear contracts,
-- USD for inverse ones; USDT at par); a future no longer listed takes its family's contract. No order id:
-- the id hashes the order's natural key. The arithmetic is shared with the websocket feed
-- (macro okx_liquidation_rows), so one order converts and hashes the same on both channels.
{{ okx_liquidation_rows(raw_or_empty('raw_liquidations', 'okx__liquidations'), 'rest') }}
