"""Lily's adapters against the stricter sandboxes: behaviour a looser sandbox hid."""

from __future__ import annotations

import httpx
import pytest

from lily.core import clock
from lily.core.config import reset_settings
from lily.local.sandboxes.meta import APP_ID
from lily.social.platforms.base import Credentials, ErrorKind, PlatformError, PostPayload
from lily.social.platforms.meta import MetaAdapter


def test_a_spent_instagram_publishing_quota_is_a_rate_limit_not_a_bad_post(meta_sandbox):
    # Given an Instagram account whose 24-hour publishing quota (here 1) is spent
    reset_settings()
    meta_sandbox.state.config["ig_publish_quota"] = 1
    base = f"{meta_sandbox.base_url}/v25.0"
    user_token = meta_sandbox.state.issue_tokens("alice", APP_ID, ["pages_show_list"], 5183944,
                                                 with_refresh=False)["access_token"]
    page = httpx.get(f"{base}/me/accounts", params={"access_token": user_token}).json()["data"][0]
    ig_id = httpx.get(f"{base}/{page['id']}", params={"fields": "instagram_business_account",
                                                        "access_token": page["access_token"]}
                      ).json()["instagram_business_account"]["id"]
    creds = Credentials(platform="instagram", account_id=ig_id, kind="instagram_business",
                        access_token=page["access_token"])
    adapter = MetaAdapter("instagram", poll_interval_s=0)
    adapter.publish(creds, PostPayload(text="first", media_urls=["https://cdn.example/1.jpg"]))
    # When Lily publishes another post
    with pytest.raises(PlatformError) as err:
        adapter.publish(creds, PostPayload(text="second", media_urls=["https://cdn.example/2.jpg"]))
    # Then it is told to wait (the post is fine and goes out once the window moves), not that the post is bad
    assert err.value.kind == ErrorKind.RATE_LIMITED and err.value.reset_at > clock.now_ts()
    reset_settings()
