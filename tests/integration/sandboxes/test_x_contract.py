"""The X sandbox driven by ``tweepy`` (the most used X client), its host pointed at the sandbox."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import httpx
import pytest
import requests
import tweepy

from lily.local.sandboxes.x import CLIENT_ID

SCOPES = ["tweet.read", "tweet.write", "users.read", "media.write", "offline.access"]
X_HOST = "https://api.twitter.com"


class ToSandbox(requests.adapters.HTTPAdapter):
    """tweepy always calls https://api.twitter.com; this sends those requests to the sandbox instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def send(self, request, **kwargs):
        request.url = self.base_url + request.url[len(X_HOST):]
        return super().send(request, **kwargs)


def token(sandbox, user: str = "alice") -> str:
    return sandbox.state.issue_tokens(user, CLIENT_ID, SCOPES, 7200)["access_token"]


def client(sandbox, user: str = "alice") -> tweepy.Client:
    c = tweepy.Client(bearer_token=token(sandbox, user))
    c.session.mount(X_HOST, ToSandbox(sandbox.base_url))
    return c


def test_posts_carry_edit_history_and_only_the_fields_asked_for(x_sandbox):
    c = client(x_sandbox)
    created = c.create_tweet(text="hello from tweepy", user_auth=False).data
    assert created == {"id": created["id"], "text": "hello from tweepy", "edit_history_tweet_ids": [created["id"]]}
    plain = c.get_tweet(created["id"], user_auth=False).data
    assert set(plain.data) == {"id", "text", "edit_history_tweet_ids"}
    assert plain.edit_history_tweet_ids == [int(created["id"])]
    rich = c.get_tweet(created["id"], tweet_fields=["created_at", "public_metrics"], user_auth=False).data
    assert set(rich.data) == {"id", "text", "edit_history_tweet_ids", "created_at", "public_metrics"}
    assert rich.public_metrics["impression_count"] >= 0 and rich.created_at.tzinfo is not None
    me = c.get_me(user_auth=False).data
    assert set(me.data) == {"id", "name", "username"}
    assert set(c.get_me(user_fields=["public_metrics"], user_auth=False).data.data) == {
        "id", "name", "username", "public_metrics"}
    with pytest.raises(tweepy.BadRequest) as err:
        c.get_tweet(created["id"], tweet_fields=["created_at", "no_such_field"], user_auth=False)
    assert err.value.response.json()["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert err.value.response.json()["errors"][0]["parameters"] == {"tweet.fields": ["no_such_field"]}


def test_timelines_honour_since_until_end_time_exclude_and_pagination(x_sandbox):
    c = client(x_sandbox)
    uid = c.get_me(user_auth=False).data.id
    early = [c.create_tweet(text=f"early {i}", user_auth=False).data["id"] for i in range(3)]
    boundary = math.floor(time.time()) + 1
    time.sleep(boundary - time.time() + 0.02)
    late = [c.create_tweet(text=f"late {i}", user_auth=False).data["id"] for i in range(3)]
    reply = c.create_tweet(text="a reply", in_reply_to_tweet_id=late[0], user_auth=False).data["id"]

    def ids(**kw) -> list[str]:
        data = c.get_users_tweets(uid, max_results=100, user_auth=False, **kw).data or []
        return [str(t.id) for t in data]

    everything = [reply, *reversed(late), *reversed(early)]
    assert ids() == everything
    assert ids(since_id=late[1]) == [reply, late[2]]
    assert ids(until_id=early[2]) == [early[1], early[0]]
    assert ids(since_id=early[0], until_id=late[0]) == [early[2], early[1]]
    assert ids(end_time=datetime.fromtimestamp(boundary, tz=UTC)) == list(reversed(early))
    assert ids(start_time=datetime.fromtimestamp(boundary, tz=UTC)) == [reply, *reversed(late)]
    assert ids(exclude=["replies"]) == [*reversed(late), *reversed(early)]
    assert ids(exclude=["retweets", "replies"]) == [*reversed(late), *reversed(early)]
    paged = tweepy.Paginator(c.get_users_tweets, uid, max_results=5, user_auth=False).flatten()
    assert [str(t.id) for t in paged] == everything
    with pytest.raises(tweepy.BadRequest):
        c.get_users_tweets(uid, exclude=["likes"], user_auth=False)


def test_rate_limits_count_per_user_per_15_minute_window_and_are_enforced(x_sandbox):
    x_sandbox.state.config["limits_15m"] = {"GET /2/users/me": 3}
    alice, bob = token(x_sandbox, "alice"), token(x_sandbox, "bob")
    seen = []
    for _ in range(3):
        r = httpx.get(f"{x_sandbox.base_url}/2/users/me", headers={"Authorization": f"Bearer {alice}"})
        assert r.status_code == 200
        seen.append((r.headers["x-rate-limit-limit"], r.headers["x-rate-limit-remaining"]))
    assert seen == [("3", "2"), ("3", "1"), ("3", "0")]
    reset = int(r.headers["x-rate-limit-reset"])
    assert time.time() < reset <= time.time() + 900
    c = tweepy.Client(bearer_token=alice)
    c.session.mount(X_HOST, ToSandbox(x_sandbox.base_url))
    with pytest.raises(tweepy.TooManyRequests) as err:
        c.get_me(user_auth=False)
    refused = err.value.response
    assert refused.headers["x-rate-limit-remaining"] == "0" and int(refused.headers["x-rate-limit-reset"]) == reset
    assert refused.json()["status"] == 429
    # another user has a window of their own; another endpoint too
    other = httpx.get(f"{x_sandbox.base_url}/2/users/me", headers={"Authorization": f"Bearer {bob}"})
    assert other.status_code == 200 and other.headers["x-rate-limit-remaining"] == "2"
    assert c.create_tweet(text="still allowed", user_auth=False).data["id"]
    # when the window has passed, the count starts again
    for window in x_sandbox.state.windows.values():
        window[0] -= 900
    again = httpx.get(f"{x_sandbox.base_url}/2/users/me", headers={"Authorization": f"Bearer {alice}"})
    assert again.status_code == 200 and again.headers["x-rate-limit-remaining"] == "2"


def test_posting_limit_is_enforced_with_the_24_hour_headers(x_sandbox):
    x_sandbox.state.config["tweet_limit_15m"] = 2
    c = client(x_sandbox)
    for i in range(2):
        c.create_tweet(text=f"post {i}", user_auth=False)
    with pytest.raises(tweepy.TooManyRequests):
        c.create_tweet(text="one too many", user_auth=False)
    assert [p["text"] for p in x_sandbox.state.posts.values()] == ["post 0", "post 1"]
    r = httpx.post(f"{x_sandbox.base_url}/2/tweets", json={"text": "bob's"},
                   headers={"Authorization": f"Bearer {token(x_sandbox, 'bob')}"})
    assert r.status_code == 201
    assert r.headers["x-user-limit-24hour-remaining"] == "9999" and r.headers["x-app-limit-24hour-remaining"] == "9997"


def test_media_metadata_sets_alt_text_on_ones_own_image_and_refuses_what_x_refuses(x_sandbox):
    headers = {"Authorization": f"Bearer {token(x_sandbox)}"}
    up = httpx.post(f"{x_sandbox.base_url}/2/media/upload", headers=headers, timeout=5,
                    files={"media": ("m", b"\x89PNG fake", "image/png")},
                    data={"media_category": "tweet_image", "media_type": "image/png"}).json()["data"]["id"]

    def metadata(body: dict, who: dict = headers) -> httpx.Response:
        return httpx.post(f"{x_sandbox.base_url}/2/media/metadata", headers=who, json=body, timeout=5)

    r = metadata({"id": up, "metadata": {"alt_text": {"text": "A lighthouse at dawn"}}})
    assert r.status_code == 200 and r.json()["data"] == {"id": up, "associated_metadata": {
        "alt_text": {"text": "A lighthouse at dawn"}}}
    assert metadata({"id": up, "metadata": {"alt_text": {"text": "x" * 1001}}}).status_code == 400
    assert metadata({"id": up, "metadata": {"caption": "no such key"}}).status_code == 400
    assert metadata({"id": "not-a-number", "metadata": {}}).status_code == 400
    bob = {"Authorization": f"Bearer {token(x_sandbox, 'bob')}"}
    assert metadata({"id": up, "metadata": {"alt_text": {"text": "mine now"}}}, bob).json()["detail"] == (
        "Your media IDs are invalid.")
    # A post names only media its author uploaded
    c = client(x_sandbox)
    with pytest.raises(tweepy.BadRequest):
        c.create_tweet(text="with someone else's media", media_ids=["123456789"], user_auth=False)
    created = c.create_tweet(text="with my image", media_ids=[up], user_auth=False).data
    (stored,) = [p for p in httpx.get(f"{x_sandbox.base_url}/_sandbox/posts", timeout=5).json()
                 if p["id"] == created["id"]]
    assert stored["alt_texts"] == ["A lighthouse at dawn"]
