"""Local mode: the whole suite on one machine with no cloud account (dev only, never deployed)."""
