"""Operator commands, run with deployment credentials: ``python -m lily.admin --help``."""
