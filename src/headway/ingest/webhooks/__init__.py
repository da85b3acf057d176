"""ESP webhook adapters: verify each provider's signature, map its events to activities."""
