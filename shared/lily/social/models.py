"""Social tables. Tokens exist here only as KMS envelopes (``lily.core.crypto``).

Access patterns
- social_connections: list an organization's connections (Query ``org_id``); get one (``org_id``,
  ``connection_id``); connections sharing one OAuth grant (GSI ``by_grant``) before revoking it at the
  platform; the daily token-health job walks every connection (Scan: maintenance job only).
  ``connection_id`` is derived from (org, platform, account): reconnecting the same account finds
  the same item, so a reconnect never consumes a second profile.
- social_oauth_states: get by the SHA-256 of the state (the state itself is never stored); single
  use (conditional ``used_at``), TTL ``expires_at`` (expired = absent).
- social_selections: get by id; pending account choices of one grant (envelope), single use, TTL.
- social_notices: Query an organization's notices (``needs_reauth`` and the like), newest first.
- social_connections GSI ``by_account``: the connections of one platform account (``account_id``, ``platform``),
  across organizations: where an inbound webhook's event goes (keys only).
- social_webhook_deliveries: the platforms' event ids already accepted (conditional put on ``event_id``), TTL
  ``expires_at`` past the oldest delivery still accepted: a replay inside the window is a duplicate, after it stale.
- social_engagement_events: an organization's raw engagement events (Query ``org_id``; get one by ``event_id``, the
  conditional put that makes storing idempotent), for the inbox.
- social_inbox: an organization's inbox (Query ``org_id`` newest first, filters on status, read, platform, assignee,
  kind, sentiment; cursor = the last key); get / update one (``org_id``, ``item_id``). ``item_id`` is derived from
  the engagement's instant and event id, so building an item twice (a redelivered event) is one conditional put.
  A reply from the inbox is a state machine on the item (``reply_state`` none → queued → sending → sent | failed),
  every move a conditional write on ``reply_state`` and ``reply_attempt_id`` (:mod:`lily.social.inbox_replies`).
- social_mention_cursors: per connection, the newest mention id seen by the mentions poller (get / conditional put
  on ``since_id``), so each run resumes from it.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from lily.core.db import LilyModel, TableMeta


class ConnectionsByGrant(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_grant"
        projection = KeysOnlyProjection()

    grant_id = UnicodeAttribute(hash_key=True)


class ConnectionsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = KeysOnlyProjection()

    account_id = UnicodeAttribute(hash_key=True)
    platform = UnicodeAttribute(range_key=True)


class SocialConnection(LilyModel):
    class Meta(TableMeta):
        short_name = "social_connections"

    org_id = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)
    platform = UnicodeAttribute()
    account_id = UnicodeAttribute()
    account_kind = UnicodeAttribute()
    account_name = UnicodeAttribute()
    handle = UnicodeAttribute(null=True)
    avatar_url = UnicodeAttribute(null=True)
    urn = UnicodeAttribute(null=True)
    parent_id = UnicodeAttribute(null=True)
    scopes = ListAttribute(of=UnicodeAttribute, default=list)
    status = UnicodeAttribute(default="active")  # active | needs_reauth | paused
    status_reason = UnicodeAttribute(null=True)
    # {"access_token", "expires_at", "scopes"} and {"refresh_token"}: envelopes under
    # context {"org_id", "connection_id"}. Separate so a reconnect can keep the refresh token unopened.
    access_envelope = UnicodeAttribute()
    refresh_envelope = UnicodeAttribute(null=True)
    token_version = NumberAttribute(default=1)  # bumps on every token write (rotating refresh races)
    grant_id = UnicodeAttribute()
    by_grant = ConnectionsByGrant()
    by_account = ConnectionsByAccount()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)
    last_checked_at = UTCDateTimeAttribute(null=True)
    last_refreshed_at = UTCDateTimeAttribute(null=True)


class OAuthState(LilyModel):
    class Meta(TableMeta):
        short_name = "social_oauth_states"

    state_hash = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    redirect_uri = UnicodeAttribute()
    verifier_envelope = UnicodeAttribute(null=True)  # PKCE code_verifier, context {"org_id", "state_hash"}
    browser_hash = UnicodeAttribute(null=True)  # sha256 of the flow cookie set in the starting browser
    created_at = UTCDateTimeAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()


class AccountSelection(LilyModel):
    class Meta(TableMeta):
        short_name = "social_selections"

    selection_id = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    grant_id = UnicodeAttribute()
    accounts_json = UnicodeAttribute()  # public account data, for display
    candidates_envelope = UnicodeAttribute()  # accounts with tokens, context {"org_id", "selection_id"}
    created_at = UTCDateTimeAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()


class SocialNotice(LilyModel):
    class Meta(TableMeta):
        short_name = "social_notices"

    org_id = UnicodeAttribute(hash_key=True)
    notice_id = UnicodeAttribute(range_key=True)  # ulid-sorted; the event id makes delivery idempotent
    kind = UnicodeAttribute()
    connection_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    account_name = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class WebhookDelivery(LilyModel):
    class Meta(TableMeta):
        short_name = "social_webhook_deliveries"

    event_id = UnicodeAttribute(hash_key=True)  # "<platform>:<the platform's id>"
    received_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class EngagementEvent(LilyModel):
    class Meta(TableMeta):
        short_name = "social_engagement_events"

    org_id = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)  # "<platform>:<the platform's id>"
    connection_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    account_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # comment | mention | reply
    item_id = UnicodeAttribute()
    post_id = UnicodeAttribute(null=True)  # the platform's id of the post it belongs to
    parent_id = UnicodeAttribute(null=True)
    author_id = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute(null=True)
    text = UnicodeAttribute(default="")
    occurred_at = UTCDateTimeAttribute()
    received_at = UTCDateTimeAttribute()
    stored_at = UTCDateTimeAttribute()


class InboxItem(LilyModel):
    class Meta(TableMeta):
        short_name = "social_inbox"

    org_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)  # "ibx_<13-digit ms of the event><12 hex of the event id>"
    event_id = UnicodeAttribute()  # "<platform>:<the platform's id>"
    connection_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    account_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # comment | mention | reply
    platform_item_id = UnicodeAttribute()  # the comment's or post's id at the platform (what a reply answers)
    post_id = UnicodeAttribute(null=True)  # the platform's id of the post it belongs to
    parent_id = UnicodeAttribute(null=True)
    author_id = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute(null=True)
    text = UnicodeAttribute(default="")
    sentiment = UnicodeAttribute(default="neutral")  # positive | negative | neutral (lily.social.sentiment)
    read = BooleanAttribute(default=False)
    assignee_id = UnicodeAttribute(null=True)  # a member of the organization
    status = UnicodeAttribute(default="open")  # open | replied | closed
    occurred_at = UTCDateTimeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    # the reply from the inbox, exactly once (lily.social.inbox_replies)
    reply_state = UnicodeAttribute(null=True)  # queued | sending | sent | failed
    reply_text = UnicodeAttribute(null=True)
    reply_by = UnicodeAttribute(null=True)
    reply_attempt_id = UnicodeAttribute(null=True)
    reply_lease_until = UTCDateTimeAttribute(null=True)
    reply_reconcile = BooleanAttribute(default=False)  # a previous attempt may have posted: look it up first
    reply_attempts = NumberAttribute(default=0)
    reply_requested_at = UTCDateTimeAttribute(null=True)
    reply_next_at = UTCDateTimeAttribute(null=True)  # a retry's instant
    reply_platform_id = UnicodeAttribute(null=True)
    reply_url = UnicodeAttribute(null=True)
    reply_error = JSONAttribute(null=True)
    replied_at = UTCDateTimeAttribute(null=True)


class MentionCursor(LilyModel):
    class Meta(TableMeta):
        short_name = "social_mention_cursors"

    org_id = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)
    since_id = UnicodeAttribute(null=True)  # the newest mention seen
    polled_at = UTCDateTimeAttribute()
