"""Webhook tables and their access patterns.

``webhook_subscriptions`` — pk ``org_id``, sk ``subscription_id`` (``whk_<ulid>``).
  - an organization's subscriptions: Query pk=org_id (the API's list; the fan-out reads them all, at most
    ``max_per_org``, and keeps the enabled ones that name the event's type)
  - one subscription: GetItem; changes are UpdateItem (disabling after failures is conditional on ``enabled``,
    so it happens, with its notice, once)

``webhook_deliveries`` — pk ``owner`` (``<org_id>#<subscription_id>``: tenant and subscription in the key, so no
  read can cross either), sk ``delivery_id`` (``dlv_`` + the event's ULID: one delivery per event and subscription,
  sorted by the event's time).
  - a subscription's deliveries, newest first: Query pk=owner backwards (the API's list, with a cursor)
  - deliveries since an instant (replay): Query pk=owner, sk >= ``dlv_<the instant's ULID floor>``
  - the fan-out's put is conditional on absence (a redelivered event makes no second delivery); every attempt is an
    UpdateItem conditional on the delivery's ``round`` and its claim (``lease_until``), so two workers never send
    the same round at once and a retry message of an earlier round is ignored
  - TTL ``expires_at``: ``kept_days`` after the event
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import Anonymise, DataRule, Erase, Export, Partition, Scan


class WebhookSubscription(LilyModel):
    class Meta(TableMeta):
        short_name = "webhook_subscriptions"
        data = DataRule(
            retention="while the organization exists", org=Partition(), user=Scan("created_by"),
            export=Export(omit=("secret_envelope",)), erase=Erase.DELETE, on_user_erased=Anonymise(("created_by",)))

    org_id = UnicodeAttribute(hash_key=True)
    subscription_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    events = UnicodeSetAttribute()
    description = UnicodeAttribute(null=True)
    # The signing secret: a KMS envelope (lily.core.crypto) under {"org_id", "subscription_id", "purpose"}; it must
    # be opened to sign, so it is encrypted, not hashed. Shown once, at creation.
    secret_envelope = UnicodeAttribute()
    secret_hint = UnicodeAttribute()  # its last four characters, to tell secrets apart
    enabled = BooleanAttribute(default=True)
    failing_since = UTCDateTimeAttribute(null=True)  # first failed attempt since the last success
    last_success_at = UTCDateTimeAttribute(null=True)
    disabled_at = UTCDateTimeAttribute(null=True)
    disabled_reason = UnicodeAttribute(null=True)  # the notice: why Lily disabled it
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class WebhookDelivery(LilyModel):
    class Meta(TableMeta):
        short_name = "webhook_deliveries"
        data = DataRule(
            retention="TTL expires_at", org=Scan("org_id"), export=Export(), erase=Erase.DELETE)

    owner = UnicodeAttribute(hash_key=True)  # "<org_id>#<subscription_id>"
    delivery_id = UnicodeAttribute(range_key=True)
    org_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    body = UnicodeAttribute()  # the envelope exactly as sent (every attempt signs these bytes)
    # pending (first attempt to come) | retrying | delivered | failed (24 h of attempts: the DLQ) | skipped
    status = UnicodeAttribute(default="pending")
    round = NumberAttribute(default=0)  # bumps on each redelivery or replay: older retry messages are ignored
    attempts = NumberAttribute(default=0)  # attempts of this round
    lease_until = UTCDateTimeAttribute(null=True)  # a worker is calling the receiver until then
    first_attempt_at = UTCDateTimeAttribute(null=True)  # this round's first attempt: the retry window starts here
    next_attempt_at = UTCDateTimeAttribute(null=True)
    last_status_code = NumberAttribute(null=True)
    last_latency_ms = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    # [{"at", "round", "attempt", "outcome", "status_code", "latency_ms", "response", "error"}], newest last
    log = JSONAttribute(default=list)
    created_at = UTCDateTimeAttribute()
    delivered_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()
