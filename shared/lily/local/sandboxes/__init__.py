"""Local stand-ins for third parties, speaking their HTTP APIs: Stripe, X, Meta, LinkedIn, an OpenAI-compatible
API (OpenAI and xAI) and a feed host. Never deployed.

Every sandbox has the same shape (:mod:`.kit`): a typed state, an app assembled from a router per resource, and
``start() -> Sandbox[State]``, which serves it on a loopback port with :func:`.kit.start_platform`; the handle
carries ``env``, the variables that point Lily's real adapters at it. :data:`SANDBOXES` lists them all; local
mode (and tests that want them) start them by name or all at once with :func:`start_all`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from lily.local.sandboxes import feeds, linkedin, meta, openai, stripe, x
from lily.local.sandboxes.kit import Sandbox

SANDBOXES: dict[str, Callable[[], Sandbox]] = {
    "feeds": feeds.start,
    "linkedin": linkedin.start,
    "meta": meta.start,
    "openai": openai.start,
    "stripe": stripe.start,
    "x": x.start,
}


def start_all(apply_env: bool = True) -> list[Sandbox]:
    started = []
    for start in SANDBOXES.values():
        sandbox = start()
        started.append(sandbox)
        if apply_env:
            os.environ.update(sandbox.env)
    return started
