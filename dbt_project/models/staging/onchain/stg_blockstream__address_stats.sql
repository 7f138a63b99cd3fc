{{ stg_esplora_address_stats('blockstream') }}
