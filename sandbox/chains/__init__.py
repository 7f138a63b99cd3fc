"""On-chain data providers of the sandbox, mounted beside the venues (same limiter, faults and clock).

Each module exports what a venue module does (NAME, register, throttled, server_error) and answers
from sandbox.chains.world, which builds on the balance model in sandbox.entities.
"""
from __future__ import annotations

from types import ModuleType

from sandbox.chains import blockstream, eth_rpc_a, eth_rpc_b, mempool_space, trongrid

MODULES: dict[str, ModuleType] = {m.NAME: m for m in (mempool_space, blockstream, eth_rpc_a, eth_rpc_b, trongrid)}
