"""Blockstream's Esplora API, mounted under /blockstream (base URL .../blockstream/api)."""
from sandbox.chains import esplora

NAME = "blockstream"
MODEL_PROVIDER = "blockstream"
register = esplora.routes(MODEL_PROVIDER)
throttled = esplora.throttled
server_error = esplora.server_error
