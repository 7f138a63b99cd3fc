-- OKX liquidation-orders pushed on the public websocket; converted exactly like the REST feed
-- (macro okx_liquidation_rows: order side -> position, contracts x ctVal -> coins).
{{ okx_liquidation_rows(raw_or_empty('raw_streams', 'okx__liquidations_ws'), 'websocket') }}
