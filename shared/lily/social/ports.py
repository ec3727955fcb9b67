"""What the social capability needs from others, and the bundle its use cases take (:class:`SocialPorts`).

- :class:`ProfileQuota`: the plan's limit on connected profiles (billing's quota, built by :mod:`lily.composition`
  for the functions). A new connection consumes one before it is stored; a disconnect gives it back.

Social also implements a port of billing: :func:`lily.social.plan_limits.pause_over_limit` is a
``billing.ports.PlanChangeListener``, and :class:`lily.social.gateway.SocialGateway` is publishing's
``PlatformGateway``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

PROFILES_QUOTA = "social_profiles"  # the plan quota that counts connected profiles (billing's catalog name)


class ProfileQuota(Protocol):
    def consume(self, org_id: str, amount: int = 1) -> object:
        """Take ``amount`` profiles; raises LilyError PLAN_002 over the plan's limit."""

    def release(self, org_id: str, amount: int = 1) -> object:
        """Give ``amount`` profiles back (never below zero)."""


@dataclass(frozen=True)
class SocialPorts:
    """What social's connection use cases need: the plan's connected-profiles quota."""

    profiles: ProfileQuota
