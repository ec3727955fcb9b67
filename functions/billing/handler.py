"""Billing HTTP function: plans, entitlements and usage; checkout, portal, cancel, resume, change plan."""


import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Header
from fastapi.responses import JSONResponse

from lily.billing import entitlements, health, subscription_changes, views
from lily.billing.checkout import start_checkout
from lily.billing.entitlements import QuotaUsage
from lily.billing.portal import portal as portal_session
from lily.billing.ports import BillingPorts
from lily.billing.schemas import (
    BillingHealth,
    CapabilityView,
    ChangePlanRequest,
    CheckoutRequest,
    CheckoutView,
    EntitlementsView,
    PlanView,
    PortalView,
    SubscriptionView,
)
from lily.composition import billing_ports
from lily.core.config import get_settings
from lily.core.fields import IDEMPOTENCY_KEY_PATTERN
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware

settings = get_settings()
app = create_app("Lily billing", "Plans, entitlements, usage and Stripe subscriptions",
                 middleware=[rate_limit_middleware])

READ = org_access(OrgRole.viewer, scope="billing:read")
MANAGE = org_access(OrgRole.admin, scope="billing:write")
IDEMPOTENCY_KEY = Header(None, alias="Idempotency-Key", min_length=1, max_length=100, pattern=IDEMPOTENCY_KEY_PATTERN,
                         description="Retries with the same key never create a second Stripe object")


@app.get("/api/plans", response_model=list[PlanView], tags=["billing"])
def plans() -> list[PlanView]:
    """Every plan with its price, interval, trial and renewal terms in plain words."""
    return views.list_plans()


@app.get("/api/plans/capabilities/{feature}", response_model=CapabilityView, tags=["billing"])
def capability(feature: str) -> CapabilityView:
    """Which plans include a feature (or each plan's limit of a quota), and the cheapest one."""
    return views.capability(feature)


@app.get("/api/billing/health", response_model=BillingHealth, tags=["billing"],
         responses={503: {"model": BillingHealth, "description": "Stripe not configured or unreachable"}})
def billing_health() -> JSONResponse:
    result = health.health()
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.status == "ok" else 503)


@app.get("/api/orgs/{org_id}/entitlements", response_model=EntitlementsView, tags=["billing"])
def org_entitlements(org_id: str, access: OrgAccess = Depends(READ)) -> EntitlementsView:
    """What the organization's plan allows now: features, limits and usage (for UI gating)."""
    return views.entitlements_of(access.org_id)


@app.get("/api/orgs/{org_id}/usage", response_model=list[QuotaUsage], tags=["billing"])
def org_usage(org_id: str, access: OrgAccess = Depends(READ)) -> list[QuotaUsage]:
    """Used, limit and reset time of every quota."""
    return entitlements.usage(access.org_id)


@app.get("/api/orgs/{org_id}/billing/subscription", response_model=SubscriptionView, tags=["billing"])
def subscription(org_id: str, access: OrgAccess = Depends(READ)) -> SubscriptionView:
    return views.subscription_view(access.org_id)


@app.post("/api/orgs/{org_id}/billing/checkout", response_model=CheckoutView, status_code=201, tags=["billing"],
          responses=errors(409))
def checkout(org_id: str, body: CheckoutRequest, access: OrgAccess = Depends(MANAGE),
             idempotency_key: str | None = IDEMPOTENCY_KEY,
             ports: BillingPorts = Depends(billing_ports)) -> CheckoutView:
    """A Stripe Checkout Session for a plan (with its trial on a first subscription); open ``url``."""
    return start_checkout(ports, access.org_id, body.plan_id, body.interval, email=access.principal.email,
                          request_key=idempotency_key)


@app.post("/api/orgs/{org_id}/billing/portal", response_model=PortalView, tags=["billing"], responses=errors(409))
def portal(org_id: str, access: OrgAccess = Depends(MANAGE),
           idempotency_key: str | None = IDEMPOTENCY_KEY) -> PortalView:
    """A Stripe customer-portal URL (invoices, payment methods)."""
    return portal_session(access.org_id, request_key=idempotency_key)


@app.post("/api/orgs/{org_id}/billing/cancel", response_model=SubscriptionView, tags=["billing"],
          responses=errors(409))
def cancel(org_id: str, access: OrgAccess = Depends(MANAGE),
           idempotency_key: str | None = IDEMPOTENCY_KEY,
           ports: BillingPorts = Depends(billing_ports)) -> SubscriptionView:
    """Cancel at the end of the paid period: the plan stays until then and nothing more is charged."""
    return subscription_changes.cancel(ports, access.org_id, request_key=idempotency_key)


@app.post("/api/orgs/{org_id}/billing/resume", response_model=SubscriptionView, tags=["billing"],
          responses=errors(409))
def resume(org_id: str, access: OrgAccess = Depends(MANAGE),
           idempotency_key: str | None = IDEMPOTENCY_KEY,
           ports: BillingPorts = Depends(billing_ports)) -> SubscriptionView:
    """Undo a pending cancellation."""
    return subscription_changes.resume(ports, access.org_id, request_key=idempotency_key)


@app.post("/api/orgs/{org_id}/billing/change-plan", response_model=SubscriptionView, tags=["billing"],
          responses=errors(409))
def change_plan(org_id: str, body: ChangePlanRequest, access: OrgAccess = Depends(MANAGE),
                idempotency_key: str | None = IDEMPOTENCY_KEY,
                ports: BillingPorts = Depends(billing_ports)) -> SubscriptionView:
    """Move to another paid plan now, prorated."""
    return subscription_changes.change_plan(ports, access.org_id, body.plan_id, body.interval,
                                            request_key=idempotency_key)


handler = http_handler(app)
