{{ stg_eth_rpc_balances('eth_rpc_b') }}
