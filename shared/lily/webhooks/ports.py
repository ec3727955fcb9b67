"""What the webhooks capability needs from others, and the bundle its use cases take (:class:`WebhookPorts`).

- :class:`FeatureGate`: whether the organization's plan includes outbound webhooks (billing's ``PlanFeature``).

Functions build :class:`WebhookPorts` through :func:`lily.composition.webhook_ports`.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

WEBHOOKS_FEATURE = "outbound_webhooks"  # the plan feature (billing's catalog name; PRODUCT.md: starter and above)


class FeatureGate(Protocol):
    def require(self, org_id: str) -> object:
        """Return when the organization's plan includes the feature; raise LilyError PLAN_001 otherwise."""


class WebhookPorts(NamedTuple):
    gate: FeatureGate
