"""Health: version and deep dependency checks, and the heartbeat that proves schedule → queue → worker."""
