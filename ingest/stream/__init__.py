"""The websocket liquidation collector: a long-running service beside the daily batch.

It keeps one connection per enabled venue (`ws_url` in the sources file), subscribes with the venue's
own protocol, keeps the connection alive the way the venue asks, and lands every message unchanged in
hourly files the daily load reads like REST pages:

    landing/source=<s>/dataset=liquidations_ws/date=<D>/hour=<HH>/<conn_id>-<n>.ndjson.gz   data messages
    landing/source=<s>/dataset=ws_control/date=<D>/hour=<HH>/<conn_id>-<n>.ndjson.gz        acks, pongs, ...
    landing/_gaps/source=<s>/date=<D>/<run_id>.ndjson                                      disconnected periods

- `clock`     system time, or a time-compressed replay clock (demo, tests)
- `protocols` the shape of a venue's subscribe/keepalive/classify rules; each venue fills it in its
              package (ingest/venues/<venue>/ws.py), the registry lists them (ingest.venues.ws_protocols)
- `writer`    hourly files: append + fsync to `.partial`, gzip + rename at the end of the hour; recovery
- `gaps`      the gaps log and the per-source state that lets a restart know how long it was away
- `collector` the asyncio service; `cli` the `dwh-collector` entry point; `load` stream hours/gaps -> raw

Built on `websockets`, not cryptofeed: cryptofeed (PyPI, a Cython sdist) hard-codes each exchange's
endpoints as class attributes (production or the venue's own testnet), fetches symbol lists over REST
from those hosts when a feed is built, and hands callbacks normalised objects rather than the message
text. Pointing it at the sandbox, landing the raw messages unchanged and keeping our own reconnect/gap
bookkeeping would mean overriding most of it.
"""
