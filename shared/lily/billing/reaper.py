"""The daily subscription reaper: catch up on missed webhooks and apply every organization's plan."""

from __future__ import annotations

from datetime import timedelta

from lily.billing.models import Subscription
from lily.billing.plans import get_plan
from lily.billing.ports import BillingPorts
from lily.billing.stripe_gateway import StripeGateway, stripe_gateway
from lily.billing.subscription_sync import MANAGEABLE, apply_plan, sync_subscription
from lily.core import clock
from lily.core.errors import LilyError
from lily.core.observability import logger
from lily.core.schema import Schema


class ReapResult(Schema):
    """What a run did (the scheduled job's answer)."""

    scanned: int = 0
    resynced: int = 0
    downgraded: int = 0
    upgraded: int = 0
    errors: int = 0


def reap(ports: BillingPorts, gateway: StripeGateway | None = None,
         resync_after: timedelta = timedelta(days=1)) -> ReapResult:
    """Re-fetch subscriptions whose period ended long ago (a missed webhook), then apply every
    organization's effective plan: ended subscriptions go to free, and the plan-change listeners
    pause what exceeds the new limits (nothing is deleted). Maintenance job: Scan is fine here."""
    result = ReapResult()
    now = clock.now()
    for sub in Subscription.scan(Subscription.applied_plan_id != "free"):
        result.scanned += 1
        try:
            stale = (sub.stripe_subscription_id and sub.current_period_end is not None
                     and sub.current_period_end + resync_after < now and sub.status in MANAGEABLE)
            if stale:
                try:
                    sync_subscription(ports, sub.org_id, (gateway or stripe_gateway()).retrieve_subscription(
                        sub.stripe_subscription_id))
                    result.resynced += 1
                except LilyError as exc:  # Stripe down: still apply what we know
                    logger.warning("reaper could not re-fetch", extra={"org_id": sub.org_id, "code": exc.code.value})
            changed = apply_plan(ports, sub.org_id)
            if changed:
                if get_plan(changed[1]).rank < get_plan(changed[0]).rank:
                    result.downgraded += 1
                else:
                    result.upgraded += 1
        except Exception:  # noqa: BLE001 - boundary: one organization's failure must not stop the sweep
            result.errors += 1
            logger.exception("reaper failed for an organization", extra={"org_id": sub.org_id})
    logger.info("subscription reaper done", extra=result.model_dump())
    return result
