"""X (Twitter) API v2 sandbox: OAuth 2.0 + PKCE (S256 checked), users/me, tweets, media upload,
public metrics, ``x-rate-limit-*`` headers, RFC 7807 errors, and webhooks signed with the consumer
secret (``x-twitter-webhooks-signature``). Facts: docs.x.com
(https://docs.x.com/x-api) and the X API v2 OpenAPI document (github.com/xdevplatform/xdk).
Switches (``/_sandbox/config``): ``code_ttl_s`` (30), ``access_ttl_s`` (7200), ``rotate_refresh`` (True),
``tweet_limit_15m`` (100), ``limits_15m`` ({"METHOD /2/path/:id": n} overrides of the per-user limits),
``wrap_urls`` (False).

Like the real API: each endpoint counts calls per user in a 15-minute window (``x-rate-limit-*`` headers)
and answers 429 once the window is spent; posts carry ``edit_history_tweet_ids``; objects hold only their
default fields (post ``id, text, edit_history_tweet_ids``; user ``id, name, username``) plus those asked for
in ``tweet.fields`` / ``user.fields`` (unknown names are a 400 invalid-request); timelines honour
``since_id``, ``until_id``, ``start_time``, ``end_time``, ``exclude`` and ``pagination_token``.

Modules: :mod:`.state` (switches, users), :mod:`.limits` (rate windows, faults' answers, signature),
:mod:`.oauth`, :mod:`.tweets` (users and posts), :mod:`.media`, :mod:`.mentions` (the mentions timeline);
errors in :mod:`.problems`.
"""

from __future__ import annotations

from fastapi import FastAPI

from lily.local.sandboxes.controls import sandbox_app
from lily.local.sandboxes.kit import Sandbox, start_platform
from lily.local.sandboxes.x import limits, media, mentions, oauth, tweets
from lily.local.sandboxes.x.state import CLIENT_ID, XState

__all__ = ["CLIENT_ID", "XState", "create_app", "start"]


def create_app(state: XState) -> FastAPI:
    app = sandbox_app(state, "X sandbox", limits.wire(state))
    for module in (oauth, tweets, media, mentions):
        app.include_router(module.router(state))
    return app


def start() -> Sandbox[XState]:
    state = XState()
    return start_platform("x", create_app(state), state, lambda base: {
        "LILY_SOCIAL_X_AUTH_URL": f"{base}/i/oauth2/authorize",
        "LILY_SOCIAL_X_API_BASE": base,
    })
