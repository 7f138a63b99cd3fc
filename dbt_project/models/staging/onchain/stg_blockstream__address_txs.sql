{{ stg_esplora_address_txs('blockstream') }}
