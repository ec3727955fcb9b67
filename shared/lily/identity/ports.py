"""What identity needs from other capabilities, and the bundle its use cases take (:class:`IdentityPorts`).

- :class:`SeatQuota`: the plan's limit on members; a member joins by taking a seat, and leaving gives it back.
- :class:`FeatureGate`: whether the organization's plan includes API keys.
- :class:`PlanView`: what identity reads of a plan handed to its plan change listener
  (:func:`lily.identity.apikeys.revoke_when_plan_drops_keys`, one of billing's plan change listeners).

The functions build :class:`IdentityPorts` through :mod:`lily.composition` (billing's quota and feature gate).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

SEATS_QUOTA = "team_seats"  # the plan quota that counts members (billing's catalog name)
API_KEYS_FEATURE = "api_keys"  # the plan feature that allows organization API keys


class SeatQuota(Protocol):
    def consume(self, org_id: str, amount: int = 1) -> object:
        """Take ``amount`` seats; raises LilyError PLAN_002 (with the limit and the plan that lifts it) when full."""

    def release(self, org_id: str, amount: int = 1) -> object:
        """Give ``amount`` seats back (never below zero)."""

    def remaining(self, org_id: str) -> int:
        """Seats still free on the organization's plan."""


class FeatureGate(Protocol):
    def require(self, org_id: str) -> object:
        """Return when the organization's plan includes the feature; raise LilyError PLAN_001 otherwise."""


class PlanView(Protocol):
    plan_id: str

    def has(self, feature: str) -> bool:
        """Does the plan include ``feature``?"""


class IdentityPorts(NamedTuple):
    """What identity's organization and API key use cases need: the plan's seats and its API key feature."""

    seats: SeatQuota
    api_keys: FeatureGate
