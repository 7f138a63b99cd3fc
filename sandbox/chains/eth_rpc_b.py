"""A second, independent Ethereum JSON-RPC endpoint, mounted under /eth_rpc_b."""
from sandbox.chains import jsonrpc

NAME = "eth_rpc_b"
MODEL_PROVIDER = "blockscout"
register = jsonrpc.routes(MODEL_PROVIDER, NAME)
throttled = jsonrpc.throttled
server_error = jsonrpc.server_error
