"""The harness that drives the product against the sandbox (demo, tests, bench); the product never imports it.

- sandbox.harness.process   start the sandbox as a child process; a sources file pointing at it
- sandbox.harness.replay    the websocket collector over a time-compressed replay of the sandbox's streams
- sandbox.harness.demo      `python -m sandbox demo` (`make demo`)
- sandbox.harness.backfill  `python -m sandbox backfill --url URL ...`: `dwh backfill` with the sandbox's clock
"""
