"""Social accounts: OAuth connections to X, Facebook Pages, Instagram Business and LinkedIn.

- ``platforms/``: one adapter per platform (real HTTP calls), a shared error classifier.
- ``models``: connections (tokens only as KMS envelopes), OAuth states, account selections.
- ``connect``: the OAuth dance and account selection; ``connections``: THE one path that stores a connection,
  list, inspect, disconnect; ``notices``: re-authorization notices; ``schemas``: response models
  (``service`` gathers them for the HTTP function).
- ``ports``: what social needs from billing (connected-profile quota); ``plan_limits``: the plan-change
  listener it gives billing (both wired in ``lily.composition``).
- ``tokens``: decrypt-and-refresh for the functions that publish or refresh (never the HTTP API).
- ``constraints``: per-platform text and media rules as data, and the one validator.
"""
