"""Webhook subscriptions of an organization: create (the secret shown once), list, read, change, delete.

Plan-gated (``outbound_webhooks``: starter and above, PRODUCT.md) where a call makes Lily send anything: creating,
enabling, redelivering, replaying. Reading and deleting stay open, so an organization that lost the feature can
still see and remove what it had. The URL is checked here for its form (scheme, host, no credentials, no private
address literal); every delivery is checked again on the address actually connected to (:mod:`lily.core.safe_http`).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lily.core import clock, crypto, ids
from lily.core.db import won
from lily.core.errors import conflict, invalid, not_found
from lily.core.events import EVENT_TYPES
from lily.core.observability import count
from lily.core.pages import PageParams, query_page
from lily.webhooks.models import WebhookSubscription
from lily.webhooks.ports import WebhookPorts
from lily.webhooks.settings import webhook_settings
from lily.webhooks.signing import new_secret

if TYPE_CHECKING:
    from lily.webhooks.schemas import WebhookCreated, WebhookIn, WebhookOut, WebhookPage, WebhookUpdate


def secret_context(org_id: str, subscription_id: str) -> dict[str, str]:
    return {"org_id": org_id, "subscription_id": subscription_id, "purpose": "webhook_secret"}


def check_url(url: str) -> str:
    """The URL's form: ``https://host[:port]/path`` (``http`` only where ``https_only`` is off, i.e. local mode),
    no user or password, no fragment, and not a literal private, loopback, link-local or reserved address."""
    s = webhook_settings()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise invalid("url is not a URL", field="url") from None
    allowed = ("https",) if s.https_only else ("https", "http")
    if parts.scheme not in allowed:
        raise invalid("url must use https", field="url", scheme=parts.scheme)
    if not parts.hostname:
        raise invalid("url needs a host", field="url")
    if parts.username or parts.password or parts.fragment:
        raise invalid("url must not carry credentials or a fragment", field="url")
    host = parts.hostname
    allowed_private = set(s.allowed_private)
    authority = f"{host}:{port or (443 if parts.scheme == 'https' else 80)}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and not address.is_global and authority not in allowed_private:
        raise invalid("url must not name a private address", field="url")
    if host in ("localhost", "localhost.localdomain") and authority not in allowed_private:
        raise invalid("url must not name a private address", field="url")
    return url


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise invalid("unknown event types", field="events", unknown=unknown, known=sorted(EVENT_TYPES))
    return sorted(set(events))


def view(sub: WebhookSubscription) -> WebhookOut:
    # the API's models, imported by the routes that answer with them: the delivery worker reads secrets only
    from lily.webhooks.schemas import WebhookOut

    return WebhookOut(subscription_id=sub.subscription_id, url=sub.url, events=sorted(sub.events or ()),
                      description=sub.description, enabled=bool(sub.enabled), secret_hint=sub.secret_hint,
                      failing_since=sub.failing_since, last_success_at=sub.last_success_at,
                      disabled_at=sub.disabled_at, disabled_reason=sub.disabled_reason,
                      created_at=sub.created_at, updated_at=sub.updated_at)


def load(org_id: str, subscription_id: str) -> WebhookSubscription:
    try:
        return WebhookSubscription.get(org_id, subscription_id, consistent_read=True)
    except WebhookSubscription.DoesNotExist:
        raise not_found("webhook", subscription_id=subscription_id) from None


def create(ports: WebhookPorts, org_id: str, body: WebhookIn, created_by: str | None) -> WebhookCreated:
    from lily.webhooks.schemas import WebhookCreated

    ports.gate.require(org_id)
    url, events = check_url(body.url), check_events(body.events)
    limit = webhook_settings().max_per_org
    if WebhookSubscription.count(org_id) >= limit:
        raise conflict("too many webhook subscriptions; delete one first", limit=limit)
    subscription_id = ids.new_id("whk")
    secret = new_secret()
    now = clock.now()
    sub = WebhookSubscription(
        org_id, subscription_id, url=url, events=set(events), description=body.description,
        secret_envelope=crypto.encrypt(secret, secret_context(org_id, subscription_id)), secret_hint=secret[-4:],
        enabled=body.enabled, created_by=created_by, created_at=now, updated_at=now)
    sub.save(condition=WebhookSubscription.subscription_id.does_not_exist())
    count("webhook_subscriptions_created_total")
    return WebhookCreated(**view(sub).model_dump(), secret=secret)


def list_subscriptions(org_id: str, page: PageParams) -> WebhookPage:
    from lily.webhooks.schemas import WebhookPage

    items, cursor = query_page(
        lambda start, n: WebhookSubscription.query(org_id, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, view)
    return WebhookPage(items=items, next_cursor=cursor)


def get(org_id: str, subscription_id: str) -> WebhookOut:
    return view(load(org_id, subscription_id))


def update(ports: WebhookPorts, org_id: str, subscription_id: str, body: WebhookUpdate) -> WebhookOut:
    sub = load(org_id, subscription_id)
    actions = [WebhookSubscription.updated_at.set(clock.now())]
    if body.url is not None:
        actions.append(WebhookSubscription.url.set(check_url(body.url)))
    if body.events is not None:
        actions.append(WebhookSubscription.events.set(set(check_events(body.events))))
    if "description" in body.model_fields_set:
        actions.append(WebhookSubscription.description.set(body.description) if body.description is not None
                       else WebhookSubscription.description.remove())
    if body.enabled is True:
        ports.gate.require(org_id)
        # A fresh start: the failure clock and Lily's notice go with the re-enabling.
        actions += [WebhookSubscription.enabled.set(True), WebhookSubscription.failing_since.remove(),
                    WebhookSubscription.disabled_at.remove(), WebhookSubscription.disabled_reason.remove()]
    elif body.enabled is False:
        actions.append(WebhookSubscription.enabled.set(False))
    if not won(lambda: sub.update(actions=actions, condition=WebhookSubscription.subscription_id.exists())):
        raise not_found("webhook", subscription_id=subscription_id)
    return view(sub)


def delete(org_id: str, subscription_id: str) -> None:
    """Remove the subscription. Its deliveries stay readable by no one and expire (TTL); a queued attempt finds the
    subscription gone and is skipped."""
    sub = load(org_id, subscription_id)
    if not won(lambda: sub.delete(condition=WebhookSubscription.subscription_id.exists())):
        raise not_found("webhook", subscription_id=subscription_id)
    count("webhook_subscriptions_deleted_total")
