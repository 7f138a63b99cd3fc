"""mempool.space's Esplora API, mounted under /mempool_space (base URL .../mempool_space/api)."""
from sandbox.chains import esplora

NAME = "mempool_space"
MODEL_PROVIDER = "mempool"  # sandbox.entities' name for it: the provider that misreads the disputed address
register = esplora.routes(MODEL_PROVIDER)
throttled = esplora.throttled
server_error = esplora.server_error
