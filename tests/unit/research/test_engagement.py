"""Social's engagement source for research: credentials opened once per connection for a whole list of posts."""

from __future__ import annotations

from datetime import UTC, datetime

from lily.core.errors import ErrorCode, LilyError
from lily.research.ports import PublishedPost
from lily.social import engagement
from lily.social.platforms.base import PostMetrics


def post(n: int, connection_id: str) -> PublishedPost:
    return PublishedPost(post_id=f"post_{n}", connection_id=connection_id, platform="x", platform_post_id=str(n),
                         text="t", url=None, published_at=datetime(2026, 11, 1, tzinfo=UTC))


class Platform:
    def __init__(self):
        self.read = []

    def metrics(self, creds, platform_post_id):
        self.read.append((creds, platform_post_id))
        return PostMetrics(platform_post_id=platform_post_id, likes=int(platform_post_id))


def test_each_connection_is_opened_once_and_a_refused_one_is_not_asked_again(monkeypatch):
    platform, opened = Platform(), []

    def credentials(org_id, connection_id, adapter):
        opened.append(connection_id)
        if connection_id == "conn_gone":
            raise LilyError(ErrorCode.SOCIAL_004, "reconnect this account")
        return f"creds-of-{connection_id}"

    monkeypatch.setattr(engagement.tokens, "credentials", credentials)
    monkeypatch.setattr(engagement, "adapter", lambda name: platform)
    posts = [post(1, "conn_a"), post(2, "conn_gone"), post(3, "conn_a"), post(4, "conn_gone")]
    assert engagement.PlatformEngagement().engagements("org_1", posts) == [{"likes": 1}, None, {"likes": 3}, None]
    assert opened == ["conn_a", "conn_gone"]
    assert platform.read == [("creds-of-conn_a", "1"), ("creds-of-conn_a", "3")]
