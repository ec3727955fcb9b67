"""The organization social action notification LinkedIn pushes when someone comments on or mentions a Page
(https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications):
``{"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [...]}``, deduplicated by
``notificationId``. LinkedIn has no reply action: a reply is a ``COMMENT`` whose comment answers another."""

from __future__ import annotations

from typing import Any

from lily.core import clock
from lily.local.sandboxes.controls import Engagement
from lily.local.sandboxes.linkedin import comments
from lily.local.sandboxes.linkedin.state import LinkedInState


def engagement(state: LinkedInState, e: Engagement) -> dict[str, Any]:
    at = int(clock.now_ts() * 1000)
    post = e.post_id or f"urn:li:share:{state.next_id()}"
    author = e.author_id if e.author_id.startswith("urn:li:") else f"urn:li:person:{e.author_id}"
    if e.kind == "mention":
        share = f"urn:li:share:{state.next_id()}"
        action, made = "SHARE_MENTION", {"share": {"entity": share, "owner": author, "text": e.text}}
        with state.lock:  # the mentioning post exists at LinkedIn: it can be commented on
            state.posts[share] = {"id": share, "author": author, "commentary": e.text, "owner": e.author_name,
                                  "content": None, "created_at": at, "deleted": False}
    else:
        comment = f"urn:li:comment:({post},{state.next_id()})"
        answered = e.parent_id if e.kind == "reply" and e.parent_id else None
        comments.add(state, post, author, e.text, parent=answered, urn=comment)
        made = {"comment": {"entity": comment, "owner": author, "text": e.text,
                            "object": e.parent_id if e.kind == "reply" and e.parent_id else post}}
        action = "COMMENT"
    return {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [{
        "notificationId": int(state.next_id()), "action": action, "organizationalEntity": e.account_id,
        "sourcePost": post, "generatedActivity": next(iter(made.values()))["entity"],
        "decoratedGeneratedActivity": made, "actor": author, "lastModifiedAt": at,
        "subscriber": "urn:li:person:sandbox-admin"}]}
