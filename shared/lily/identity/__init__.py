"""Identity: accounts, sessions, organizations, roles, API keys, rate limits and the audit log."""
