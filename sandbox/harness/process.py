"""Start the exchange sandbox as a separate process and point a sources file at it (demo, tests, bench).

The product (ingest, dwh, dags) sees ordinary URLs in a sources file; only the harness and the tests
know a sandbox answers them.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess  # argument lists only, never a shell  # nosec B404
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import yaml

from ingest.config import PROJECT_ROOT
from sandbox.client import SandboxClient

SANDBOX_TEMPLATE = PROJECT_ROOT / "config" / "sandbox.yml"
TEMPLATE_BASE = "http://127.0.0.1:8765"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxHandle(SandboxClient):
    """A sandbox at `url`, started by `running_sandbox` (then `proc` is its process) or already running."""

    def __init__(self, url: str, proc: subprocess.Popen | None = None):
        self.url = url.rstrip("/")
        self.proc = proc


@contextlib.contextmanager
def running_sandbox(port: int = 0, seed: int = 7, extra_args: list[str] | None = None) -> Iterator[SandboxHandle]:
    port = port or free_port()
    cmd = [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port), "--seed", str(seed),
           *(extra_args or [])]
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # argument list, no shell  # nosec B603
    handle = SandboxHandle(f"http://127.0.0.1:{port}", proc)
    try:
        deadline = time.time() + 30
        while not handle.healthy():
            if proc.poll() is not None:
                raise RuntimeError(f"sandbox exited: {proc.stderr.read().decode()[-2000:]}")
            if time.time() > deadline:
                raise RuntimeError("sandbox did not become healthy within 30 s")
            time.sleep(0.2)
        yield handle
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def sandbox_sources_file(base_url: str, target: Path, enabled: dict[str, bool] | None = None) -> Path:
    """config/sandbox.yml with every URL moved to `base_url` (a sandbox on another port)."""
    text = SANDBOX_TEMPLATE.read_text()
    ws_base = base_url.replace("http://", "ws://")
    text = text.replace(TEMPLATE_BASE, base_url).replace(TEMPLATE_BASE.replace("http://", "ws://"), ws_base)
    doc = yaml.safe_load(text)
    for name, flag in (enabled or {}).items():
        doc["sources"][name]["enabled"] = flag
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    os.replace(tmp, target)
    return target
