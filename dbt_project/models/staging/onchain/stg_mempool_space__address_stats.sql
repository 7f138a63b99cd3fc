{{ stg_esplora_address_stats('mempool_space') }}
