"""Meta Graph API sandbox: Facebook Login dialog, code → short-lived → long-lived user token,
``/me/accounts`` Page tokens, Pages with linked Instagram Business accounts, Page feed/photos,
the Instagram container flow (create → status → media_publish), reads, insights, delete,
``X-App-Usage`` / ``X-Business-Use-Case-Usage`` headers, Graph error bodies, and webhooks signed with
``X-Hub-Signature-256``. Facts:
https://developers.facebook.com/docs/graph-api and .../docs/instagram-platform.
Switches: ``code_ttl_s`` (600), ``pages_per_user`` (2), ``throttle_code`` (4), ``ig_hashtag_limit`` (30),
``container_polls`` (0: containers are FINISHED at once; n: IN_PROGRESS for n status reads),
``container_ttl_s`` (86400), ``ig_publish_quota`` (50 per 24 h; older docs said 25, some say 100),
``quota_error`` ({"code": 9, "subcode": 2207042}: the quota-reached error, UNVERIFIED).
Every sandbox user owns ``pages_per_user`` Pages, each linked to an Instagram Business account.

As Graph does: the access token may come in the header, the query or a form body; ``GET`` answers only the
edges a node has (``(#100) Tried accessing nonexisting field``); ``content_publishing_limit`` answers
``quota_usage`` (and ``config`` when asked); insights refuse retired metrics (IG ``impressions``, ``plays``,
``video_views``…; Page ``*impressions*``, ``page_fans``) and fail the whole request; IG containers expire
(``EXPIRED``, subcode 2207020) ``container_ttl_s`` after creation; ``media_publish`` past the quota fails.
Time comes from ``lily.core.clock`` (tests move it with ``clock.advance``).

Modules: :mod:`.state`, :mod:`.oauth` (login, tokens, ``/me``), :mod:`.graph` (nodes and edges) with
:mod:`.reads` and :mod:`.publish`.
"""

from __future__ import annotations

import hashlib
import hmac
import math

from fastapi import FastAPI, Request
from fastapi.responses import Response

from lily.local.sandboxes.controls import Wire, sandbox_app
from lily.local.sandboxes.kit import Fault, Sandbox, start_platform
from lily.local.sandboxes.meta import graph, oauth, webhooks
from lily.local.sandboxes.meta.state import APP_ID, MetaState, graph_error, usage_headers

__all__ = ["APP_ID", "MetaState", "create_app", "start"]

THROTTLES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}


def wire(state: MetaState) -> Wire:
    def rate_limited(f: Fault) -> Response:
        code = int(state.config["throttle_code"])
        return graph_error(400, THROTTLES.get(code, "rate limited"), code, is_transient=True,
                           headers=usage_headers(100, math.ceil(f.reset_s / 60)))

    def server_error() -> Response:
        return graph_error(500, "An unknown error has occurred.", 1, type_="OAuthException", is_transient=True)

    def decorate(request: Request, response: Response) -> None:
        for k, v in usage_headers(min(99, len(state.calls) % 100)).items():
            response.headers.setdefault(k, v)

    def signer(raw: bytes) -> dict[str, str]:
        mac = hmac.new(oauth.app_secret().encode(), raw, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": "sha256=" + mac}

    return Wire(rate_limited=rate_limited, server_error=server_error, signer=signer, api_prefixes=("/v",),
                decorate=decorate, engagement=lambda e: webhooks.engagement(state, e), webhook_path="/webhooks/meta")


def create_app(state: MetaState) -> FastAPI:
    app = sandbox_app(state, "Meta Graph sandbox", wire(state))
    for module in (oauth, graph):  # order matters: /{version}/me before /{version}/{obj_id}
        app.include_router(module.router(state))
    return app


def start() -> Sandbox[MetaState]:
    state = MetaState()
    return start_platform("meta", create_app(state), state, lambda base: {
        "LILY_SOCIAL_META_DIALOG_BASE": base,
        "LILY_SOCIAL_META_GRAPH_BASE": base,
    })
