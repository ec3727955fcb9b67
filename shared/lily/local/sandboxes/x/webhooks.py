"""The Account Activity event X sends when someone replies to or mentions a subscribed user
(https://docs.x.com/x-api/enterprise-gnip-2.0/fundamentals/account-activity): ``for_user_id`` and
``tweet_create_events`` holding the post in its v1.1 shape. X has no comments: a comment is a reply here."""

from __future__ import annotations

import time
from typing import Any

from lily.core import clock
from lily.local.sandboxes.controls import Engagement
from lily.local.sandboxes.x.state import XState


def engagement(state: XState, e: Engagement) -> dict[str, Any]:
    at = clock.now_ts()
    post_id = state.next_id()
    answers = e.kind in ("comment", "reply")
    parent = e.parent_id or e.post_id or state.next_id()
    text = e.text if not answers or e.text.startswith("@") else f"@lily {e.text}"
    with state.lock:  # the fan's post exists at X: it can be answered, and it is in the account's mentions
        state.posts[post_id] = {
            "id": post_id, "text": text, "owner": e.author_name, "author_id": e.author_id, "media": None,
            "alt_texts": [], "reply": {"in_reply_to_tweet_id": parent} if answers else None,
            "mentions": [e.account_id], "author_name": e.author_name,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(at)), "created_ts": at,
            "deleted": False,
        }
    return {"for_user_id": e.account_id, "tweet_create_events": [{
        "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime(at)),
        "id": int(post_id), "id_str": post_id, "text": text, "timestamp_ms": str(int(at * 1000)),
        "user": {"id": int(e.author_id) if e.author_id.isdigit() else 0, "id_str": e.author_id,
                 "screen_name": e.author_name, "name": e.author_name.replace("_", " ").title()},
        "in_reply_to_status_id_str": parent if answers else None,
        "in_reply_to_user_id_str": e.account_id if answers else None,
        "entities": {"hashtags": [], "urls": [],
                     "user_mentions": [{"id_str": e.account_id, "screen_name": "lily", "indices": [0, 5]}]},
    }]}
