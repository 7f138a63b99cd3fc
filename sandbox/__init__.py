"""Exchange sandbox: a local server that answers the venues' real APIs from a deterministic simulated market.

- sandbox.market    the simulated market (prices, funding, open interest, liquidations) and `Market(seed)`
- sandbox.options   option chains, max pain, option marks
- sandbox.entities  on-chain entity balances (model only)
- sandbox.server    `build_app(...)` and `SandboxServer` (background thread, for tests)
- sandbox.venues    one module per venue, mounted under /<venue>
- python -m sandbox the command line (see sandbox.__main__)
"""
