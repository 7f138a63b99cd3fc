"""An Ethereum JSON-RPC endpoint, mounted under /eth_rpc_a (played by the model's first ETH provider)."""
from sandbox.chains import jsonrpc

NAME = "eth_rpc_a"
MODEL_PROVIDER = "etherscan"  # sandbox.entities' provider names for Ethereum
register = jsonrpc.routes(MODEL_PROVIDER, NAME)
throttled = jsonrpc.throttled
server_error = jsonrpc.server_error
