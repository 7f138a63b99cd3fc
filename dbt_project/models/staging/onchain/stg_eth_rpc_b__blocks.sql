{{ stg_eth_rpc_blocks('eth_rpc_b') }}
