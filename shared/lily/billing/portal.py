"""The Stripe customer portal: where an organization manages its payment methods and invoices."""

from __future__ import annotations

from lily.billing.checkout import idempotency_part, public_url
from lily.billing.customers import customer_id_of
from lily.billing.schemas import PortalView
from lily.billing.settings import billing_settings
from lily.billing.stripe_gateway import StripeGateway, stripe_gateway
from lily.core.errors import conflict


def portal(org_id: str, *, request_key: str | None = None, gateway: StripeGateway | None = None) -> PortalView:
    gateway = gateway or stripe_gateway()
    customer_id = customer_id_of(org_id)
    if customer_id is None:
        raise conflict("The organization has no billing account yet; start a checkout first")
    return_url = billing_settings().billing_portal_return_url or public_url("/billing")
    url = gateway.create_portal_session(customer_id, return_url,
                                        idempotency_key=f"lily-portal-{org_id}-{idempotency_part(request_key)}")
    return PortalView(url=url)
