"""Operator commands, run with deployment credentials: ``python -m functions.admin_cli --help``."""
