-- Deribit trades pushed on trades.future.<currency>.100ms; only those flagged `liquidation` are liquidations
-- (macro deribit_liquidation_rows: forced party + taker direction -> liquidated side, USD amounts -> coins).
{{ deribit_liquidation_rows(raw_or_empty('raw_streams', 'deribit__liquidations_ws'), 'websocket') }}
