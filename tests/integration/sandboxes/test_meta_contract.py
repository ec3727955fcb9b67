"""The Meta Graph sandbox against the request/response shapes of the facts sheet (§2): tokens in a form body,
content_publishing_limit, retired insight metrics, 24-hour containers and the publishing quota."""

from __future__ import annotations

import httpx
import pytest

from lily.core import clock
from lily.local.sandboxes.meta import APP_ID

SCOPES = ["pages_show_list", "pages_manage_posts", "pages_read_engagement", "instagram_basic",
          "instagram_content_publish", "instagram_manage_insights"]


@pytest.fixture
def graph(meta_sandbox):
    """(GET/POST helper bound to /v25.0, the first Page's id and token, its Instagram account's id)."""
    base = f"{meta_sandbox.base_url}/v25.0"
    user_token = meta_sandbox.state.issue_tokens("alice", APP_ID, SCOPES, 5183944, with_refresh=False)["access_token"]
    page = httpx.get(f"{base}/me/accounts", params={"access_token": user_token}).json()["data"][0]
    ig = httpx.get(f"{base}/{page['id']}", params={"fields": "instagram_business_account",
                                                     "access_token": page["access_token"]})
    yield base, page["id"], page["access_token"], ig.json()["instagram_business_account"]["id"]
    clock.reset()


def publish_ig(base: str, ig_id: str, token: str, n: int = 0) -> httpx.Response:
    container = httpx.post(f"{base}/{ig_id}/media", data={
        "image_url": f"https://cdn.example/{n}.jpg", "caption": f"post {n}", "access_token": token})
    assert container.status_code == 200, container.text
    return httpx.post(f"{base}/{ig_id}/media_publish",
                      data={"creation_id": container.json()["id"], "access_token": token})


def error_of(r: httpx.Response) -> dict:
    assert r.status_code == 400, r.text
    return r.json()["error"]


def test_the_access_token_may_come_in_a_form_body(graph):
    base, page_id, token, ig_id = graph
    r = httpx.post(f"{base}/{page_id}/feed", data={"message": "from a form", "access_token": token})
    assert r.status_code == 200 and r.json()["id"].startswith(f"{page_id}_")
    assert publish_ig(base, ig_id, token).json()["id"]
    assert error_of(httpx.post(f"{base}/{page_id}/feed", data={"message": "no token"}))["code"] == 190


def test_content_publishing_limit_answers_usage_and_config(graph):
    base, _page_id, token, ig_id = graph
    for n in range(2):
        assert publish_ig(base, ig_id, token, n).status_code == 200
    url = f"{base}/{ig_id}/content_publishing_limit"
    assert httpx.get(url, params={"access_token": token}).json() == {"data": [{"quota_usage": 2}]}
    both = httpx.get(url, params={"fields": "quota_usage,config", "access_token": token}).json()
    assert both == {"data": [{"quota_usage": 2, "config": {"quota_total": 50, "quota_duration": 86400}}]}
    recent = httpx.get(url, params={"since": int(clock.now_ts()) + 5, "access_token": token}).json()
    assert recent == {"data": [{"quota_usage": 0}]}
    assert error_of(httpx.get(url, params={"since": int(clock.now_ts()) - 90000, "access_token": token}))
    assert "nonexisting field (bogus)" in error_of(httpx.get(url, params={"fields": "bogus", "access_token": token}))[
        "message"]
    assert "nonexisting field (nonsense)" in error_of(httpx.get(f"{base}/{ig_id}/nonsense",
                                                                params={"access_token": token}))["message"]


def test_retired_insight_metrics_fail_the_whole_request(graph):
    base, page_id, token, ig_id = graph
    media_id = publish_ig(base, ig_id, token).json()["id"]
    url = f"{base}/{media_id}/insights"
    ok = httpx.get(url, params={"metric": "views,reach,likes", "access_token": token})
    assert ok.status_code == 200 and [d["name"] for d in ok.json()["data"]] == ["views", "reach", "likes"]
    for retired in ("impressions", "reach,plays", "video_views", "clips_replays_count"):
        err = error_of(httpx.get(url, params={"metric": retired, "access_token": token}))
        assert err["code"] == 100 and err["type"] == "OAuthException"
    assert "must be one of" in error_of(httpx.get(url, params={"metric": "bogus", "access_token": token}))["message"]
    post_id = httpx.post(f"{base}/{page_id}/feed", data={"message": "fb", "access_token": token}).json()["id"]
    fb = f"{base}/{post_id}/insights"
    assert httpx.get(fb, params={"metric": "post_total_media_view_unique", "access_token": token}).status_code == 200
    for retired in ("post_impressions", "post_impressions_unique", "page_fans"):
        assert error_of(httpx.get(fb, params={"metric": retired, "access_token": token}))["code"] == 100


def test_containers_expire_after_24_hours(graph):
    base, _page_id, token, ig_id = graph
    cid = httpx.post(f"{base}/{ig_id}/media",
                     data={"image_url": "https://cdn.example/a.jpg", "access_token": token}).json()["id"]
    status = httpx.get(f"{base}/{cid}", params={"fields": "status_code,status", "access_token": token}).json()
    assert status["status_code"] == "FINISHED"
    clock.advance(86400 + 1)
    status = httpx.get(f"{base}/{cid}", params={"fields": "status_code,status", "access_token": token}).json()
    assert status["status_code"] == "EXPIRED"
    err = error_of(httpx.post(f"{base}/{ig_id}/media_publish", data={"creation_id": cid, "access_token": token}))
    assert err["error_subcode"] == 2207020


def test_the_publishing_quota_is_enforced_over_a_moving_24_hours(graph, meta_sandbox):
    base, _page_id, token, ig_id = graph
    meta_sandbox.state.config["ig_publish_quota"] = 2
    assert [publish_ig(base, ig_id, token, n).status_code for n in range(2)] == [200, 200]
    err = error_of(publish_ig(base, ig_id, token, 2))
    assert (err["code"], err["error_subcode"], err["is_transient"]) == (9, 2207042, False)
    assert len([p for p in meta_sandbox.state.posts.values() if p["platform"] == "instagram"]) == 2
    clock.advance(86400 + 1)
    assert publish_ig(base, ig_id, token, 3).status_code == 200
