"""What a source raises when it cannot deliver; callers catch `SourceError` (ingest.http re-exports both)."""
from __future__ import annotations


class SourceError(RuntimeError):
    """A source could not deliver: retries exhausted or a permanent error answer."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class CircuitOpen(SourceError):
    """The host failed at the connection level too many times in a row: not asked again this run."""

    def __init__(self, source: str, host: str, failures: int, cause: str):
        super().__init__(f"{source}: {host} unreachable ({failures} consecutive connection failures, last: "
                         f"{cause}); its remaining requests of this run were not sent", transient=True)
        self.source, self.host, self.failures, self.cause = source, host, failures, cause


class BrokenTransfer(SourceError):
    """The headers came, the body broke off (a reset or a timeout mid-body): nothing was landed."""

    def __init__(self, message: str):
        super().__init__(message, transient=True)
