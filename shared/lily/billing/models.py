"""Billing tables.

``billing_subscriptions`` — one item per organization: the Stripe subscription state as last
re-fetched from Stripe, and the plan the platform last applied.
  - plan of an org: GetItem org_id (every gated request)
  - state change from a webhook: conditional write on ``synced_at`` (a newer fetch is never overwritten)
  - plan applied: conditional update on ``applied_plan_id`` (hooks fire once per transition)
  - reaper: Scan (maintenance job only)

``billing_customers`` — the one Stripe customer of an organization.
  - get/create: GetItem org_id, PutItem conditional on absence
  - org of a customer (webhooks without metadata): Query GSI ``by_customer`` customer_id

``billing_quota_counters`` — atomic usage counters, pk ``<org_id>#<quota>``, sk the period
(``2026-11-27`` for a UTC day, ``2026-11`` for a month, ``gauge`` for count-style limits).
  - consume: UpdateItem ``ADD used :n`` with ``attribute_not_exists(used) OR used <= :limit - :n``
  - release: UpdateItem ``ADD used -:n`` with ``used >= :n``
  - usage: BatchGetItem of the current period of every quota
  - TTL ``expires_at`` a while after the period ends (none on gauges)

``billing_webhook_events`` — Stripe event ids already accepted (replay protection).
  - accept: PutItem conditional on absence; TTL ``expires_at`` (≥ 7 days, Stripe retries for 3)
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import DataRule, Erase, Export, NotExported, Partition, Scan


class Subscription(LilyModel):
    class Meta(TableMeta):
        short_name = "billing_subscriptions"
        data = DataRule(
            retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE,
            notes="the subscription is cancelled at Stripe before the record goes")

    org_id = UnicodeAttribute(hash_key=True)
    plan_id = UnicodeAttribute(default="free")  # the plan the Stripe subscription is for
    interval = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="none")  # Stripe status, or "none"
    applied_plan_id = UnicodeAttribute(default="free")  # the plan the platform last applied (hooks ran)
    stripe_customer_id = UnicodeAttribute(null=True)
    stripe_subscription_id = UnicodeAttribute(null=True)
    stripe_price_id = UnicodeAttribute(null=True)
    stripe_item_id = UnicodeAttribute(null=True)
    current_period_end = UTCDateTimeAttribute(null=True)
    cancel_at_period_end = BooleanAttribute(default=False)
    trial_end = UTCDateTimeAttribute(null=True)
    trial_used = BooleanAttribute(default=False)
    past_due_since = UTCDateTimeAttribute(null=True)
    grace_until = UTCDateTimeAttribute(null=True)
    ended_at = UTCDateTimeAttribute(null=True)
    synced_at_ms = NumberAttribute(default=0)  # when the state was fetched from Stripe
    updated_at = UTCDateTimeAttribute(null=True)


class CustomerByStripeId(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_customer"
        projection = KeysOnlyProjection()

    customer_id = UnicodeAttribute(hash_key=True)


class Customer(LilyModel):
    class Meta(TableMeta):
        short_name = "billing_customers"
        data = DataRule(
            retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE,
            notes="Stripe keeps the customer's invoices as tax law requires; Lily keeps no link to them")

    org_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    by_customer = CustomerByStripeId()


class QuotaCounter(LilyModel):
    class Meta(TableMeta):
        short_name = "billing_quota_counters"
        data = DataRule(
            retention="period counters: 35 days after their period (TTL expires_at); gauges: while the "
                      "organization exists",
            org=Scan("key", prefix="{id}#"), export=Export(), erase=Erase.DELETE)

    key = UnicodeAttribute(hash_key=True)  # <org_id>#<quota>
    period = UnicodeAttribute(range_key=True)
    used = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


class WebhookEvent(LilyModel):
    class Meta(TableMeta):
        short_name = "billing_webhook_events"
        data = DataRule(
            retention="LILY_BILLING_WEBHOOK_EVENT_TTL_DAYS (TTL expires_at)",
            export=NotExported("Stripe event ids kept for de-duplication"), erase=Erase.KEEP, personal_data=False)

    event_id = UnicodeAttribute(hash_key=True)
    event_type = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
