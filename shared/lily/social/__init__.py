"""Social accounts: OAuth connections to X, Facebook Pages, Instagram Business and LinkedIn.

- ``platforms/``: one adapter per platform (real HTTP calls), a shared error classifier.
- ``models``: connections (tokens only as KMS envelopes), OAuth states, account selections.
- ``service``: connect / callback / select / list / disconnect; the ONE path that creates a connection.
- ``tokens``: decrypt-and-refresh for the functions that publish or refresh (never the HTTP API).
- ``constraints``: per-platform text and media rules as data, and the one validator.
"""
