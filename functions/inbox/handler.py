"""Engagement inbox HTTP API (lily.social.inbox): list and triage an organization's comments, mentions and replies,
reply to one (exactly once, by the social_replies worker) and get an AI reply suggestion in the brand voice."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from typing import Literal

from fastapi import Depends, Query

from lily.composition import inbox_ports
from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware
from lily.social import inbox, inbox_replies
from lily.social.ports import InboxPorts
from lily.social.schemas import InboxItemView, InboxPage, InboxReplyIn, InboxStatus, InboxSuggestion, InboxUpdate

settings = get_settings()
app = create_app("Lily inbox", "Comments, mentions and replies from the connected accounts",
                 middleware=[rate_limit_middleware])
reader = org_access(OrgRole.viewer, scope="inbox:read")
writer = org_access(OrgRole.editor, scope="inbox:write")
BASE = "/api/orgs/{org_id}/inbox"
Platform = Literal["x", "facebook", "instagram", "linkedin"]


@app.get(BASE, response_model=InboxPage, tags=["inbox"], operation_id="list_inbox")
def list_inbox(org_id: str, access: OrgAccess = Depends(reader), page: PageParams = Depends(page_params),
               status: InboxStatus | None = Query(None), read: bool | None = Query(None),
               platform: Platform | None = Query(None),
               assignee_id: str | None = Query(None, min_length=1, max_length=64),
               kind: Literal["comment", "mention", "reply"] | None = Query(None),
               sentiment: Literal["positive", "negative", "neutral"] | None = Query(None)) -> InboxPage:
    return inbox.list_items(org_id, page, status=status, read=read, platform=platform, assignee_id=assignee_id,
                            kind=kind, sentiment=sentiment)


@app.get(BASE + "/{item_id}", response_model=InboxItemView, tags=["inbox"], operation_id="get_inbox_item",
         responses=errors(404))
def get_item(org_id: str, item_id: str, access: OrgAccess = Depends(reader)) -> InboxItemView:
    return inbox.view(inbox.get(org_id, item_id))


@app.patch(BASE + "/{item_id}", response_model=InboxItemView, tags=["inbox"], operation_id="update_inbox_item",
           responses=errors(404))
def update_item(org_id: str, item_id: str, body: InboxUpdate, access: OrgAccess = Depends(writer),
                ports: InboxPorts = Depends(inbox_ports)) -> InboxItemView:
    return inbox.update(ports, org_id, item_id, body)


@app.post(BASE + "/{item_id}/reply", response_model=InboxItemView, status_code=202, tags=["inbox"],
          operation_id="reply_to_inbox_item", responses=errors(404, 409, 503))
def reply(org_id: str, item_id: str, body: InboxReplyIn, access: OrgAccess = Depends(writer)) -> InboxItemView:
    return inbox_replies.request(org_id, item_id, body.text, access.principal.subject)


@app.post(BASE + "/{item_id}/suggest-reply", response_model=InboxSuggestion, tags=["inbox"],
          operation_id="suggest_inbox_reply", responses=errors(404, 429, 502))
def suggest_reply(org_id: str, item_id: str, access: OrgAccess = Depends(writer),
                  ports: InboxPorts = Depends(inbox_ports)) -> InboxSuggestion:
    item = inbox.get(org_id, item_id)
    return InboxSuggestion(text=ports.suggester.suggest_reply(org_id, access.principal.subject, item.platform,
                                                              item.text, item.author_name))


handler = http_handler(app)
