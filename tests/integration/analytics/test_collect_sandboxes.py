"""Collection on the real ports against the platform sandboxes: a 429 from X does not stop Facebook's collection
(and X's message is re-sent, delayed), and a token X no longer accepts marks the connection ``needs_reauth``
with its notice instead of crashing the job."""

from __future__ import annotations

from datetime import timedelta

import httpx

from lily import composition
from lily.analytics import collect
from lily.analytics.messages import CollectMessage
from lily.analytics.models import AnalyticsFollowers, AnalyticsPost
from lily.core import clock
from lily.core.ids import new_id
from lily.publishing.models import Post, Target
from lily.social import tokens
from lily.social.models import SocialConnection
from lily.social.platforms import adapter
from lily.social.platforms.base import PostPayload
from tests.integration.social.conftest import connect
from tests.support.billing import set_plan
from tests.support.identity import create_org, register_user


def _published(org_id: str, connection_id: str, platform: str, n: int) -> None:
    a = adapter(platform)
    creds = tokens.credentials(org_id, connection_id, a)
    now = clock.now()
    for i in range(n):
        result = a.publish(creds, PostPayload(text=f"collect {new_id('t')} {i}"))
        post_id = new_id("pst")
        Post(org_id, post_id, text="collect", status="published", created_at=now, updated_at=now).save()
        Target(post_id, new_id("tgt"), org_id=org_id, connection_id=connection_id, platform=platform,
               state="published", platform_post_id=result.platform_post_id,
               published_at=now - timedelta(hours=i + 1), updated_at=now).save()


def _org(http) -> tuple[str, dict[str, str]]:
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "enterprise")
    conns = {}
    for platform in ("x", "facebook"):
        found = connect(http, user["headers"], org_id, platform)["connections"]
        conns[platform] = next(c["connection_id"] for c in found if c["platform"] == platform)
        _published(org_id, conns[platform], platform, 2)
    return org_id, conns


def _msg(org_id: str, connection_id: str, platform: str, run_id: str = "daily-2026120702") -> CollectMessage:
    return CollectMessage(org_id=org_id, connection_id=connection_id, platform=platform, run_id=run_id,
                          since=clock.now() - timedelta(days=30))


def test_a_429_from_x_does_not_stop_facebook(http, sandboxes):
    org_id, conns = _org(http)
    ports = composition.analytics_ports()
    fault = {"kind": "429", "count": 50, "reset_s": 120, "path": "/2/tweets"}
    assert httpx.post(f"{sandboxes['x'].base_url}/_sandbox/faults", json=fault, timeout=5).status_code == 200
    assert collect.process(ports, _msg(org_id, conns["x"], "x")) == "rate_limited"
    assert collect.process(ports, _msg(org_id, conns["facebook"], "facebook")) == "collected 2"
    stored = list(AnalyticsPost.query(org_id))
    assert {p.platform for p in stored} == {"facebook"} and all(p.impressions is not None for p in stored)
    # Both follower counts of the day were taken (X's users/me is not the path the 429 hit)
    assert {f.platform for f in AnalyticsFollowers.query(org_id)} == {"x", "facebook"}
    # X recovers: its message collects what it missed
    httpx.delete(f"{sandboxes['x'].base_url}/_sandbox/faults", timeout=5)
    assert collect.process(ports, _msg(org_id, conns["x"], "x")) == "collected 2"


def test_a_refused_token_marks_the_connection_needs_reauth(http, sandboxes):
    org_id, conns = _org(http)
    ports = composition.analytics_ports()
    # The X user revoked Lily's access at the platform (access and refresh tokens)
    r = httpx.post(f"{sandboxes['x'].base_url}/_sandbox/expire", json={"access": True, "refresh": True}, timeout=5)
    assert r.json()["expired"] > 0
    tokens.forget_opened()
    assert collect.process(ports, _msg(org_id, conns["x"], "x")) == "needs_reauth"
    conn = SocialConnection.get(org_id, conns["x"])
    assert conn.status == "needs_reauth"
    # Facebook goes on
    assert collect.process(ports, _msg(org_id, conns["facebook"], "facebook")) == "collected 2"
    # The next run of X ends at once: the connection's tokens are not opened while it needs re-authorization
    calls = len(httpx.get(f"{sandboxes['x'].base_url}/_sandbox/calls", timeout=5).json())
    assert collect.process(ports, _msg(org_id, conns["x"], "x", "daily-2026120802")) == "needs_reauth"
    assert len(httpx.get(f"{sandboxes['x'].base_url}/_sandbox/calls", timeout=5).json()) == calls
    assert SocialConnection.get(org_id, conns["x"]).status == "needs_reauth"


def test_follower_counts_through_each_adapter(http, sandboxes):
    from lily.local.sandboxes import engagement
    from lily.social.analytics_metrics import PlatformMetrics

    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "enterprise")
    metrics = PlatformMetrics()
    kinds = set()
    with clock.freeze(clock.now_ts()):  # the sandbox's counts grow with time: read and expect at one instant
        for platform in ("x", "facebook", "instagram", "linkedin"):
            for c in connect(http, user["headers"], org_id, platform)["connections"]:
                conn = SocialConnection.get(org_id, c["connection_id"])
                n = metrics.followers(org_id, conn.connection_id, conn.platform)
                kinds.add((conn.platform, conn.account_kind))
                if conn.platform == "linkedin" and conn.account_kind != "organization":
                    assert n is None  # a member's network size is not reported
                elif conn.platform == "linkedin":
                    assert n == engagement.followers(conn.urn)
                elif conn.platform == "x":
                    assert n == engagement.followers("alice")
                else:  # the Page and the Instagram account, by their ids
                    assert n == engagement.followers(conn.account_id)
    assert {("linkedin", "organization"), ("facebook", "page"), ("x", "user")} <= kinds, kinds
    assert "instagram" in {p for p, _ in kinds}
