"""Outbound webhooks HTTP API (lily.webhooks): subscriptions, their deliveries, redelivery and replay.

Admins and owners manage webhooks (a webhook sends the organization's events to a URL of its choosing); API keys
need ``webhooks:read`` or ``webhooks:write``. Sending anything (create, enable, redeliver, replay) needs the plan's
``outbound_webhooks`` feature (403 PLAN_001 below starter).
"""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Response

from lily.composition import webhook_ports
from lily.core.config import get_settings
from lily.core.events import ENVELOPE_VERSION, EVENT_TYPES
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware
from lily.webhooks import deliveries, subscriptions
from lily.webhooks.ports import WebhookPorts
from lily.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    EventTypeOut,
    EventTypesOut,
    ReplayIn,
    ReplayOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPage,
    WebhookUpdate,
)

settings = get_settings()
app = create_app("Lily webhooks", "Outbound webhooks: subscriptions, deliveries, redelivery and replay",
                 middleware=[rate_limit_middleware])
reader = org_access(OrgRole.admin, scope="webhooks:read")
writer = org_access(OrgRole.admin, scope="webhooks:write")
BASE = "/api/orgs/{org_id}/webhooks"
ONE = BASE + "/{subscription_id}"


@app.get(BASE + "/event-types", response_model=EventTypesOut, tags=["webhooks"])
def event_types(org_id: str, access: OrgAccess = Depends(reader)) -> EventTypesOut:
    """Every event type a subscription may name, and the envelope version deliveries carry."""
    return EventTypesOut(version=ENVELOPE_VERSION,
                         items=[EventTypeOut(type=t, description=d) for t, d in EVENT_TYPES.items()])


@app.post(BASE, response_model=WebhookCreated, status_code=201, tags=["webhooks"],
          responses=errors(409))
def create_webhook(org_id: str, body: WebhookIn, access: OrgAccess = Depends(writer),
                   ports: WebhookPorts = Depends(webhook_ports)) -> WebhookCreated:
    """Subscribe a URL to event types. The answer carries the signing secret, this once (409 past 20 per
    organization; 422 for an unknown event type or a URL that is not https or names a private address)."""
    return subscriptions.create(ports, org_id, body, access.principal.user_id)


@app.get(BASE, response_model=WebhookPage, tags=["webhooks"])
def list_webhooks(org_id: str, access: OrgAccess = Depends(reader),
                  page: PageParams = Depends(page_params)) -> WebhookPage:
    return subscriptions.list_subscriptions(org_id, page)


@app.get(ONE, response_model=WebhookOut, tags=["webhooks"])
def get_webhook(org_id: str, subscription_id: str, access: OrgAccess = Depends(reader)) -> WebhookOut:
    return subscriptions.get(org_id, subscription_id)


@app.patch(ONE, response_model=WebhookOut, tags=["webhooks"])
def update_webhook(org_id: str, subscription_id: str, body: WebhookUpdate, access: OrgAccess = Depends(writer),
                   ports: WebhookPorts = Depends(webhook_ports)) -> WebhookOut:
    """Change the URL, the events or the description; ``enabled: true`` re-enables a webhook (and clears the notice
    of one Lily disabled after failures)."""
    return subscriptions.update(ports, org_id, subscription_id, body)


@app.delete(ONE, status_code=204, tags=["webhooks"])
def delete_webhook(org_id: str, subscription_id: str, access: OrgAccess = Depends(writer)) -> Response:
    subscriptions.delete(org_id, subscription_id)
    return Response(status_code=204)


@app.get(ONE + "/deliveries", response_model=DeliveryPage, tags=["webhooks"])
def list_deliveries(org_id: str, subscription_id: str, access: OrgAccess = Depends(reader),
                    page: PageParams = Depends(page_params)) -> DeliveryPage:
    """The webhook's deliveries, newest first: status, attempts, the last answer's code and latency."""
    return deliveries.list_deliveries(org_id, subscription_id, page)


@app.get(ONE + "/deliveries/{delivery_id}", response_model=DeliveryDetail, tags=["webhooks"])
def get_delivery(org_id: str, subscription_id: str, delivery_id: str,
                 access: OrgAccess = Depends(reader)) -> DeliveryDetail:
    """One delivery with its body and every attempt (status code, latency, the answer truncated, the error)."""
    return deliveries.get_delivery(org_id, subscription_id, delivery_id)


@app.post(ONE + "/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut, status_code=202,
          tags=["webhooks"], responses=errors(409))
def redeliver(org_id: str, subscription_id: str, delivery_id: str, access: OrgAccess = Depends(writer),
              ports: WebhookPorts = Depends(webhook_ports)) -> DeliveryOut:
    """Send one delivery again now, with a fresh retry window (409 while it is being attempted or when the webhook
    is disabled)."""
    return deliveries.redeliver(ports, org_id, subscription_id, delivery_id)


@app.post(ONE + "/replay", response_model=ReplayOut, status_code=202, tags=["webhooks"],
          responses=errors(409))
def replay(org_id: str, subscription_id: str, body: ReplayIn, access: OrgAccess = Depends(writer),
           ports: WebhookPorts = Depends(webhook_ports)) -> ReplayOut:
    """Send again every delivery of events since ``since`` (at most 1000 per call; 409 when the webhook is
    disabled)."""
    return deliveries.replay(ports, org_id, subscription_id, body)


handler = http_handler(app)
