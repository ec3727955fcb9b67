"""The platforms' webhook bodies read into engagements: what is a comment, a mention or a reply, and what is left
out (likes, the account's own posts, unknown fields); a body that is not the platform's shape is malformed."""

from __future__ import annotations

import json

import pytest

from lily.social.webhook_payloads import MalformedPayload, parse

ME = "1500000000000000001"


def _x(post: dict) -> bytes:
    return json.dumps({"for_user_id": ME, "tweet_create_events": [post], "favorite_events": [{"id": "f"}]}).encode()


def _post(pid: str, author: str, reply_to: str | None = None, mentions: tuple[str, ...] = ()) -> dict:
    return {"id_str": pid, "text": "hi @lily", "timestamp_ms": "1795788000000",
            "user": {"id_str": author, "screen_name": "fan"}, "in_reply_to_status_id_str": "900" if reply_to else None,
            "in_reply_to_user_id_str": reply_to, "entities": {"user_mentions": [{"id_str": m} for m in mentions]}}


def test_x_reply_mention_and_own_post():
    reply = parse("x", _x(_post("1", "7", reply_to=ME)), 1.0)
    assert [(e.kind, e.event_id, e.post_id, e.author_name) for e in reply.events] == [("reply", "x:1", "900", "fan")]
    assert reply.events[0].occurred_at == 1795788000.0 and reply.ignored == 1  # the favorite
    mention = parse("x", _x(_post("2", "7", mentions=(ME,))), 1.0)
    assert [e.kind for e in mention.events] == ["mention"]
    own = parse("x", _x(_post("3", ME, reply_to=ME)), 1.0)
    assert own.events == [] and own.ignored == 2


def test_meta_page_comment_reply_mention_and_instagram():
    def page(value: dict, field: str = "feed") -> bytes:
        return json.dumps({"object": "page", "entry": [{"id": "42", "time": 1795788000,
                                                        "changes": [{"field": field, "value": value}]}]}).encode()

    comment = {"item": "comment", "verb": "add", "comment_id": "c1", "post_id": "42_7", "parent_id": "42_7",
               "from": {"id": "9", "name": "Ann"}, "message": "nice", "created_time": 1795788001}
    [c] = parse("meta", page(comment), 1.0).events
    assert (c.platform, c.kind, c.account_id, c.post_id, c.text, c.occurred_at) == (
        "facebook", "comment", "42", "42_7", "nice", 1795788001.0)
    [r] = parse("meta", page({**comment, "comment_id": "c2", "parent_id": "c1"}), 1.0).events
    assert (r.kind, r.parent_id, r.event_id) == ("reply", "c1", "facebook:c2")
    assert parse("meta", page({**comment, "from": {"id": "42"}}), 1.0).ignored == 1  # the Page itself
    assert parse("meta", page({**comment, "item": "reaction"}), 1.0).ignored == 1
    [m] = parse("meta", page({"post_id": "9_1", "verb": "add", "sender_id": "9"}, "mention"), 1.0).events
    assert (m.kind, m.author_id) == ("mention", "9")
    ig = {"object": "instagram", "entry": [{"id": "17", "time": 1795788000, "changes": [
        {"field": "comments", "value": {"id": "c9", "text": "wow", "from": {"id": "5", "username": "u"},
                                        "media": {"id": "m1"}}},
        {"field": "mentions", "value": {"media_id": "m2", "comment_id": "c10"}}]}]}
    got = parse("meta", json.dumps(ig).encode(), 1.0).events
    assert [(e.platform, e.kind, e.post_id) for e in got] == [("instagram", "comment", "m1"),
                                                              ("instagram", "mention", "m2")]


def test_linkedin_comment_mention_and_like():
    body = {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [
        {"notificationId": 11, "action": "COMMENT", "organizationalEntity": "urn:li:organization:5",
         "sourcePost": "urn:li:share:1", "lastModifiedAt": 1795788000000,
         "decoratedGeneratedActivity": {"comment": {"entity": "urn:li:comment:(urn:li:share:1,2)",
                                                    "owner": "urn:li:person:p", "text": "great"}}},
        {"notificationId": 12, "action": "SHARE_MENTION", "organizationalEntity": "urn:li:organization:5",
         "sourcePost": "urn:li:share:3", "lastModifiedAt": 1795788000000},
        {"notificationId": 13, "action": "LIKE", "organizationalEntity": "urn:li:organization:5",
         "lastModifiedAt": 1795788000000}]}
    parsed = parse("linkedin", json.dumps(body).encode(), 1.0)
    assert [(e.event_id, e.kind, e.text, e.author_id) for e in parsed.events] == [
        ("linkedin:11", "comment", "great", "urn:li:person:p"), ("linkedin:12", "mention", "", None)]
    assert parsed.ignored == 1


@pytest.mark.parametrize("platform,body", [
    ("x", b"not json"), ("x", b"[]"), ("x", b'{"tweet_create_events": []}'),
    ("meta", b'{"object": "whatsapp_business_account", "entry": []}'), ("meta", b'{"object": "page"}'),
    ("linkedin", b'{"notifications": [{"action": "COMMENT"}]}'),
])
def test_a_body_not_of_the_platforms_shape_is_malformed(platform, body):
    with pytest.raises(MalformedPayload):
        parse(platform, body, 1.0)
