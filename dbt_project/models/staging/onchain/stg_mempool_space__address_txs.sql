{{ stg_esplora_address_txs('mempool_space') }}
