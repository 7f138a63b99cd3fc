"""Exchange sandbox: a local server that answers the venues' real APIs from a deterministic simulated market.

- sandbox.market    the simulated market (prices, funding, open interest, liquidations) and `Market(seed)`
- sandbox.options   option chains, max pain, option marks
- sandbox.entities  on-chain entity balances (model only)
- sandbox.server    `build_app(...)` and `SandboxServer` (background thread, for tests)
- sandbox.client    `SandboxClient`: a method per /_sandbox/ control endpoint (clock, faults, streams, ...)
- sandbox.venues    one module per venue, mounted under /<venue>
- sandbox.harness   what drives the product against the sandbox: process control, stream replay, the demo
- python -m sandbox the command line: serve, demo, backfill (see sandbox.__main__)
"""
