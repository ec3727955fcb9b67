"""Adapters against the sandboxes (the publishing interface), fault injection, and the token-health job."""

from __future__ import annotations

import time

import httpx
import pytest

from lily import composition
from lily.core.config import reset_settings
from lily.social import connect, health, tokens
from lily.social.models import SocialConnection, SocialNotice
from lily.social.platforms import adapter
from lily.social.platforms.base import ErrorKind, PlatformError, PostPayload
from lily.social.platforms.linkedin import LinkedInAdapter
from tests.helpers import drain
from tests.integration.social.conftest import approve


def _connect(platform: str, org_id: str = "org_adapters", user: str = "alice"):
    """Connect straight through the service (no HTTP API needed for adapter tests)."""
    flow = connect.start_connect(org_id, "usr_1", platform)
    redirect = approve(flow.start.authorize_url, user)
    ports = composition.social_ports()
    result = connect.complete(ports, platform, redirect["code"], redirect["state"], browser_secret=flow.browser_secret)
    if result.status == "select_account":
        result = connect.select_accounts(ports, org_id, "usr_1", result.selection_id, [result.accounts[0].account_id])
    return result.connections[0]


def _fault(sb, **fault):
    assert httpx.post(f"{sb.base_url}/_sandbox/faults", json=fault, timeout=5).status_code == 200


def _posts(sb) -> list[dict]:
    return httpx.get(f"{sb.base_url}/_sandbox/posts", timeout=5).json()


@pytest.fixture
def env(lily_env, sandboxes):
    from tests.integration.social.conftest import set_plan

    set_plan("org_adapters", "enterprise")
    return sandboxes


@pytest.mark.parametrize(
    ("platform", "sandbox"), [("x", "x"), ("facebook", "meta"), ("instagram", "meta"), ("linkedin", "linkedin")]
)
def test_publish_lookup_metrics_delete(platform, sandbox, env):
    view = _connect(platform)
    creds = tokens.credentials("org_adapters", view.connection_id)
    a = adapter(platform)
    marker = f"lily-{int(time.time() * 1000)}"
    post = PostPayload(
        text=f"Fresh bread today #bakery {marker}",
        media_urls=["https://cdn.example/bread.jpg"] if platform == "instagram" else [],
    )
    # publish → the id the platform gave, exactly one post created
    result = a.publish(creds, post)
    assert result.platform_post_id and result.url
    created = [p for p in _posts(env[sandbox]) if not p["deleted"]]
    assert [p["id"] for p in created] == [result.platform_post_id]
    # metrics
    m = a.metrics(creds, result.platform_post_id)
    assert m.platform_post_id == result.platform_post_id and m.raw  # the platform's own answer is kept
    counters = [m.impressions, m.likes, m.comments, m.shares, m.clicks]
    assert any(c is not None for c in counters) and all(c is None or c >= 0 for c in counters), m
    # lookup by marker (reconciliation); LinkedIn members cannot read back without r_member_social
    if platform == "linkedin" and creds.kind == "member":
        with pytest.raises(PlatformError) as err:
            a.lookup(creds, marker=marker)
        assert err.value.kind == ErrorKind.PERMISSION
    else:
        found = a.lookup(creds, marker=marker)
        assert found is not None and found.platform_post_id == result.platform_post_id
        assert a.lookup(creds, marker="not-there") is None
    # delete where the platform allows it
    assert a.delete(creds, result.platform_post_id) is (platform != "instagram")
    left = [p["id"] for p in _posts(env[sandbox]) if not p["deleted"]]
    assert left == ([result.platform_post_id] if platform == "instagram" else [])  # gone at the platform
    # last_used_at is recorded
    assert SocialConnection.get("org_adapters", view.connection_id).last_used_at is not None


def test_faults_classify_429_5xx_and_timeout_after_accept(env):
    sb = env["x"]
    view = _connect("x")
    creds = tokens.credentials("org_adapters", view.connection_id)
    a = adapter("x")
    _fault(sb, kind="429", count=1, reset_s=120, path="/2/tweets")
    with pytest.raises(PlatformError) as err:
        a.publish(creds, PostPayload(text="one"))
    assert err.value.kind == ErrorKind.RATE_LIMITED and 100 < err.value.reset_at - time.time() <= 121
    assert err.value.headers["Retry-After"]
    _fault(sb, kind="5xx", count=1, path="/2/tweets")
    with pytest.raises(PlatformError) as err:
        a.publish(creds, PostPayload(text="two"))
    assert err.value.kind == ErrorKind.TRANSIENT and err.value.retryable
    # The post is accepted but the answer never comes in time: ambiguous, and reconciliation finds it
    _fault(sb, kind="timeout_after_accept", count=1, delay_s=8, path="/2/tweets", method="POST")  # > the 6 s timeout
    with pytest.raises(PlatformError) as err:
        a.publish(creds, PostPayload(text="three lily-marker-3"))
    assert err.value.kind == ErrorKind.TRANSIENT and err.value.ambiguous
    assert len([p for p in _posts(sb) if "lily-marker-3" in p["text"]]) == 1
    assert a.lookup(creds, marker="lily-marker-3") is not None
    # Duplicate content is a validation error, not a retry
    a.publish(creds, PostPayload(text="dup"))
    with pytest.raises(PlatformError) as err:
        a.publish(creds, PostPayload(text="dup"))
    assert err.value.kind == ErrorKind.VALIDATION


def test_meta_throttle_and_linkedin_429(env):
    fb = _connect("facebook")
    creds = tokens.credentials("org_adapters", fb.connection_id)
    _fault(env["meta"], kind="429", count=1, reset_s=300)
    with pytest.raises(PlatformError) as err:
        adapter("facebook").publish(creds, PostPayload(text="hello"))
    assert err.value.kind == ErrorKind.RATE_LIMITED and err.value.reset_at - time.time() > 200
    li = _connect("linkedin")
    creds = tokens.credentials("org_adapters", li.connection_id)
    _fault(env["linkedin"], kind="429", count=1)
    with pytest.raises(PlatformError) as err:
        adapter("linkedin").publish(creds, PostPayload(text="hello"))
    assert err.value.kind == ErrorKind.RATE_LIMITED and err.value.reset_at > time.time()


def test_linkedin_is_paced_and_sends_its_version(env):
    view = _connect("linkedin")
    creds = tokens.credentials("org_adapters", view.connection_id)
    a = LinkedInAdapter(min_interval_s=0.3)
    started = time.monotonic()
    for _ in range(4):
        a.validate(creds)
    assert time.monotonic() - started >= 0.85
    # A sunset version is refused by the platform and classified
    env["linkedin"].state.config["min_version"] = "209901"
    with pytest.raises(PlatformError) as err:
        adapter("linkedin").publish(creds, PostPayload(text="v"))
    assert err.value.platform_code == "version"


def test_token_health_refreshes_validates_and_flags_lost_connections(env, local_suite, monkeypatch):
    x = _connect("x")
    li = _connect("linkedin")
    fb = _connect("facebook")
    # Given the LinkedIn member revoked Lily's access at the platform
    httpx.post(f"{env['linkedin'].base_url}/_sandbox/expire", json={"access": True, "refresh": True}, timeout=5)
    # When the daily job runs
    report = health.run()
    # Then X (2-hour tokens) was refreshed, Facebook validated, LinkedIn flagged with the reason
    assert report.checked == 3
    states = {c.platform: c for c in SocialConnection.query("org_adapters")}
    assert states["x"].status == "active" and states["x"].last_refreshed_at is not None
    assert states["facebook"].status == "active" and states["facebook"].last_checked_at is not None
    assert states["linkedin"].status == "needs_reauth" and "auth_expired" in states["linkedin"].status_reason
    # And the event reached the notifications worker, once
    drain(local_suite)
    notices = list(SocialNotice.query("org_adapters"))
    assert [(n.kind, n.connection_id) for n in notices] == [("needs_reauth", li.connection_id)]
    health.run()
    drain(local_suite)
    assert len(list(SocialNotice.query("org_adapters"))) == 1
    # And reconnecting makes it active again
    _connect("linkedin")
    assert SocialConnection.get("org_adapters", li.connection_id).status == "active"
    assert x and fb


def test_refresh_race_keeps_the_winners_rotated_token(env):
    view = _connect("x")
    conn_a = SocialConnection.get("org_adapters", view.connection_id)
    conn_b = SocialConnection.get("org_adapters", view.connection_id)
    first = tokens.refresh_connection(conn_a)
    # conn_b holds the old (now spent) refresh token: X refuses it; the loser re-reads the winner's tokens
    second = tokens.refresh_connection(conn_b)
    assert second.access_token == first.access_token
    assert (
        tokens.open_tokens(SocialConnection.get("org_adapters", view.connection_id)).refresh_token
        == first.refresh_token
    )


def test_reset_settings_is_harmless(env):
    # Given a connection made before the settings (and every cache hooked to them) are reset
    view = _connect("x")
    reset_settings()
    # Then its tokens still open and the adapter still publishes to the same platform
    assert adapter("x").s.x_api_base == env["x"].base_url
    creds = tokens.credentials("org_adapters", view.connection_id)
    result = adapter("x").publish(creds, PostPayload(text="after a settings reset"))
    assert [p["id"] for p in _posts(env["x"]) if not p["deleted"]] == [result.platform_post_id]


def test_x_lookup_pages_back_through_a_busy_timeline(env):
    # Given a post followed by 150 more (more than one page of the timeline; above X's 100 posts / 15 min)
    httpx.post(f"{env['x'].base_url}/_sandbox/config", json={"tweet_limit_15m": 200}, timeout=5)
    view = _connect("x")
    creds = tokens.credentials("org_adapters", view.connection_id)
    a = adapter("x")
    since = time.time() - 5
    marker = f"lily-busy-{int(time.time() * 1000)}"
    first = a.publish(creds, PostPayload(text=f"The one to find {marker}"))
    for i in range(150):
        a.publish(creds, PostPayload(text=f"Later post number {i}"))
    # When reconciliation looks it up by its marker, it is found on a later page
    found = a.lookup(creds, marker=f"{marker}", text=f"The one to find {marker}", since=since)
    assert found is not None and found.platform_post_id == first.platform_post_id
    pages = [c for c in httpx.get(f"{env['x'].base_url}/_sandbox/calls", timeout=5).json()
             if "/tweets" in str(c) and "GET" in str(c)]
    assert len(pages) >= 2


def test_x_lookup_finds_a_post_whose_links_came_back_wrapped(env):
    # Given an X account whose posts come back with t.co links (as X does)
    httpx.post(f"{env['x'].base_url}/_sandbox/config", json={"wrap_urls": True}, timeout=5)
    view = _connect("x")
    creds = tokens.credentials("org_adapters", view.connection_id)
    a = adapter("x")
    text = f"New menu {int(time.time() * 1000)}: https://bakery.example/menu?season=winter"
    published = a.publish(creds, PostPayload(text=text))
    stored = next(p for p in _posts(env["x"]) if p["id"] == published.platform_post_id)
    assert "https://t.co/" in stored["text"] and "bakery.example" not in stored["text"]
    # When reconciliation looks it up by its exact text, the wrapped link still matches
    found = a.lookup(creds, text=text, since=time.time() - 5)
    assert found is not None and found.platform_post_id == published.platform_post_id
    assert a.lookup(creds, text=text.replace("New menu", "Old menu"), since=time.time() - 5) is None


def test_linkedin_lookup_pages_back_through_a_busy_feed(env, monkeypatch):
    # Given an app approved for r_member_social (reconciliation reads member posts), and a LinkedIn post
    # followed by 120 more (more than one page of the author's posts)
    httpx.post(f"{env['linkedin'].base_url}/_sandbox/config", json={"member_read": True}, timeout=5)
    monkeypatch.setenv("LILY_SOCIAL_LINKEDIN_SCOPES", "openid profile email w_member_social r_member_social")
    reset_settings()
    view = _connect("linkedin")
    creds = tokens.credentials("org_adapters", view.connection_id)
    a = adapter("linkedin")
    since = time.time() - 5
    marker = f"lily-busy-{int(time.time() * 1000)}"
    first = a.publish(creds, PostPayload(text=f"The one to find {marker}"))
    for i in range(120):
        a.publish(creds, PostPayload(text=f"Later post number {i}"))
    # When reconciliation looks it up, it is found on a later page (the first page holds only newer posts)
    found = a.lookup(creds, marker=marker, text=f"The one to find {marker}", since=since)
    assert found is not None and found.platform_post_id == first.platform_post_id
    pages = [c for c in httpx.get(f"{env['linkedin'].base_url}/_sandbox/calls", timeout=5).json()
             if "/rest/posts" in str(c) and "GET" in str(c)]
    assert len(pages) >= 2
