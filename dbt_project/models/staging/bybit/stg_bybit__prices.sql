-- Mark price klines: the close is the price at startTime + interval.
select
    'bybit' as exchange,
    {{ asset_from_symbol('symbol') }} as asset,
    'mark' as price_type,
    symbol as instrument,
    'kline_close' as method,
    {{ ms_to_ts("start_ms + 60000 * (case interval when 'D' then 1440 when 'W' then 10080 else cast(interval as integer) end)") }}
        as observed_at,
    close_price as price
from {{ raw_or_empty('raw_markets', 'bybit__mark_price_klines') }}
where interval <> 'M'  -- a month has no fixed length; not asked for
