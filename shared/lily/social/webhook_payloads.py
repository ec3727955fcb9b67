"""Each platform's webhook body read into :class:`InboundEngagement` messages (comments, mentions, replies); what
else a platform sends (likes, shares, the account's own posts, edits) is counted and left out.

- X, Account Activity (https://docs.x.com/x-api/enterprise-gnip-2.0/fundamentals/account-activity):
  ``{"for_user_id", "tweet_create_events": [post]}`` with v1.1-shaped posts (``id_str``, ``text``,
  ``timestamp_ms``, ``user{id_str, screen_name}``, ``in_reply_to_status_id_str``, ``in_reply_to_user_id_str``).
  A post answering one of the account's posts is a reply; one naming it otherwise a mention; its own are left out.
- Meta (https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed and
  https://developers.facebook.com/docs/instagram-platform/webhooks): ``{"object": "page"|"instagram", "entry":
  [{"id", "time", "changes": [{"field", "value"}]}]}``; Page ``feed`` changes with ``item: comment, verb: add``
  (a reply when ``parent_id`` is a comment, not the post), Page ``mention``; Instagram ``comments`` (a reply when it
  has ``parent_id``) and ``mentions``. The envelope is standard but UNVERIFIED in the stored docs (facts §2.8).
- LinkedIn, organization social actions
  (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications):
  ``{"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [{"notificationId", "action",
  "organizationalEntity", "sourcePost", "decoratedGeneratedActivity": {"comment": {"entity", "owner", "text"}},
  "lastModifiedAt" (ms)}]}``; ``COMMENT``/``ADMIN_COMMENT`` are comments, ``SHARE_MENTION`` mentions.

A body that is not the platform's shape raises :class:`MalformedPayload` (the route answers 400).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from lily.social.inbound_messages import InboundEngagement


class MalformedPayload(ValueError):
    pass


class Parsed:
    """What one delivery held: the engagements, and how many other events it carried (``ignored``)."""

    def __init__(self) -> None:
        self.events: list[InboundEngagement] = []
        self.ignored: int = 0


def parse(platform: str, raw: bytes, received_at: float) -> Parsed:
    try:
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise MalformedPayload("not an object")
        out = Parsed()
        for item in _READERS[platform](body):
            if item is None:
                out.ignored += 1
            else:
                out.events.append(InboundEngagement(received_at=received_at, **item))
        return out
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
        if isinstance(exc, MalformedPayload):
            raise
        raise MalformedPayload(type(exc).__name__) from None


def _x(body: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
    me = str(body["for_user_id"])
    for key, events in body.items():
        if key == "tweet_create_events":
            for post in events:
                yield _x_post(me, post)
        elif key.endswith("_events"):  # favorites, follows, direct messages...: not engagement Lily keeps yet
            yield from (None for _ in events)


def _x_post(me: str, post: dict[str, Any]) -> dict[str, Any] | None:
    author = post["user"]
    if str(author["id_str"]) == me:
        return None
    replying_to = post.get("in_reply_to_user_id_str")
    mentions = {str(m.get("id_str")) for m in (post.get("entities") or {}).get("user_mentions") or []}
    if replying_to == me:
        kind, parent = "reply", post.get("in_reply_to_status_id_str")
    elif me in mentions:
        kind, parent = "mention", None
    else:
        return None
    return {
        "event_id": f"x:{post['id_str']}", "platform": "x", "account_id": me, "kind": kind,
        "item_id": str(post["id_str"]), "post_id": parent, "parent_id": parent,
        "author_id": str(author["id_str"]), "author_name": author.get("screen_name"),
        "text": post.get("extended_tweet", {}).get("full_text") or post.get("text") or "",
        "occurred_at": int(post["timestamp_ms"]) / 1000,
    }


def _meta(body: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
    obj = body["object"]
    if obj not in ("page", "instagram"):
        raise MalformedPayload(f"object {obj!r}")
    for entry in body["entry"]:
        account, at = str(entry["id"]), float(entry["time"])
        at = at / 1000 if at > 1e11 else at  # some products date entries in milliseconds
        for change in entry.get("changes") or []:
            reader = _page_change if obj == "page" else _instagram_change
            yield reader(account, at, change["field"], change["value"])


def _page_change(page: str, at: float, field: str, v: dict[str, Any]) -> dict[str, Any] | None:
    author = v.get("from") or {"id": v.get("sender_id"), "name": v.get("sender_name")}
    if field == "feed" and v.get("item") == "comment" and v.get("verb") == "add":
        if str(author.get("id")) == page:
            return None  # the Page answering in its own comments
        post, parent = v["post_id"], v.get("parent_id")
        kind = "reply" if parent and parent != post else "comment"
        item = str(v["comment_id"])
    elif field == "mention" and v.get("verb") == "add":
        kind, post, parent = "mention", v.get("post_id"), None
        item = str(v.get("comment_id") or v["post_id"])
    else:
        return None
    return {
        "event_id": f"facebook:{item}", "platform": "facebook", "account_id": page, "kind": kind, "item_id": item,
        "post_id": post, "parent_id": parent, "author_id": author.get("id"), "author_name": author.get("name"),
        "text": v.get("message") or "", "occurred_at": float(v.get("created_time") or at),
    }


def _instagram_change(ig: str, at: float, field: str, v: dict[str, Any]) -> dict[str, Any] | None:
    if field == "comments":
        author = v.get("from") or {}
        if str(author.get("id")) == ig:
            return None
        parent = v.get("parent_id")
        return {
            "event_id": f"instagram:{v['id']}", "platform": "instagram", "account_id": ig,
            "kind": "reply" if parent else "comment", "item_id": str(v["id"]),
            "post_id": (v.get("media") or {}).get("id"), "parent_id": parent, "author_id": author.get("id"),
            "author_name": author.get("username"), "text": v.get("text") or "", "occurred_at": at,
        }
    if field == "mentions":
        item = str(v.get("comment_id") or v["media_id"])
        return {
            "event_id": f"instagram:{item}", "platform": "instagram", "account_id": ig, "kind": "mention",
            "item_id": item, "post_id": v.get("media_id"), "occurred_at": at,
        }
    return None


LINKEDIN_KINDS = {"COMMENT": "comment", "ADMIN_COMMENT": "comment", "SHARE_MENTION": "mention"}


def _linkedin(body: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
    for n in body["notifications"]:
        kind = LINKEDIN_KINDS.get(n["action"])
        if kind is None:  # LIKE, SHARE, COMMENT_EDIT, COMMENT_DELETE
            yield None
            continue
        activity = n.get("decoratedGeneratedActivity") or {}
        made = activity.get("comment") or activity.get("share") or {}
        text = made.get("text") or made.get("message") or ""
        yield {
            "event_id": f"linkedin:{n['notificationId']}", "platform": "linkedin",
            "account_id": n["organizationalEntity"], "kind": kind,
            "item_id": made.get("entity") or n.get("generatedActivity") or str(n["notificationId"]),
            "post_id": n.get("sourcePost"), "parent_id": n.get("sourcePost"),
            "author_id": made.get("owner") or n.get("actor"), "author_name": None,
            "text": text.get("text") or "" if isinstance(text, dict) else str(text),
            "occurred_at": int(n["lastModifiedAt"]) / 1000,
        }


_READERS = {"x": _x, "meta": _meta, "linkedin": _linkedin}
