"""The billing use cases the functions call, in one import (``from lily.billing import service``).

Each lives in the module named after it; new code imports from there:

- :mod:`views` — plans, capabilities, subscription and entitlements as clients read them;
- :mod:`checkout`, :mod:`portal`, :mod:`subscription_changes` — starting, managing and changing a subscription;
- :mod:`webhook_intake` → :mod:`worker` → :mod:`subscription_sync` — Stripe events to stored state and plan
  transitions; :mod:`reaper` — the daily catch-up; :mod:`health` — Stripe configuration and reachability;
- :mod:`schemas` — every response model.
"""

from lily.billing.checkout import start_checkout
from lily.billing.health import health
from lily.billing.portal import portal
from lily.billing.reaper import reap
from lily.billing.schemas import (
    BillingHealth,
    CapabilityView,
    CheckoutView,
    EntitlementsView,
    PlanView,
    PortalView,
    ReapResult,
    SubscriptionView,
    WebhookAck,
)
from lily.billing.subscription_changes import cancel, change_plan, resume
from lily.billing.views import capability, entitlements_of, list_plans, subscription_view
from lily.billing.webhook_intake import accept_webhook
from lily.billing.worker import process_event

__all__ = [
    "BillingHealth", "CapabilityView", "CheckoutView", "EntitlementsView", "PlanView", "PortalView", "ReapResult",
    "SubscriptionView", "WebhookAck", "accept_webhook", "cancel", "capability", "change_plan", "entitlements_of",
    "health", "list_plans", "portal", "process_event", "reap", "resume", "start_checkout", "subscription_view",
]
