"""What the social capability needs from others, and the bundle its use cases take (:class:`SocialPorts`).

- :class:`ProfileQuota`: the plan's limit on connected profiles (billing's quota, built by :mod:`lily.composition`
  for the functions). A new connection consumes one before it is stored; a disconnect gives it back.
- :class:`InboxPorts`: the inbox's :class:`OrgMembers` (identity: assignees are members) and
  :class:`ReplySuggester` (content: an AI reply in the brand voice, counted against the AI quota).

Social also implements a port of billing: :func:`lily.social.plan_limits.pause_over_limit` is a
``billing.ports.PlanChangeListener``, and :class:`lily.social.gateway.SocialGateway` is publishing's
``PlatformGateway``.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

PROFILES_QUOTA = "social_profiles"  # the plan quota that counts connected profiles (billing's catalog name)


class ProfileQuota(Protocol):
    def consume(self, org_id: str, amount: int = 1) -> object:
        """Take ``amount`` profiles; raises LilyError PLAN_002 over the plan's limit."""

    def release(self, org_id: str, amount: int = 1) -> object:
        """Give ``amount`` profiles back (never below zero)."""


class SocialPorts(NamedTuple):
    """What social's connection use cases need: the plan's connected-profiles quota."""

    profiles: ProfileQuota


class OrgMembers(Protocol):
    """Identity's memberships: an inbox item is assigned only to a member of its organization."""

    def is_member(self, org_id: str, user_id: str) -> bool:
        """Does ``user_id`` belong to ``org_id``?"""


class ReplySuggester(Protocol):
    """Content's AI: a reply to one inbox item in the organization's brand voice (one unit of the AI quota)."""

    def suggest_reply(self, org_id: str, user_id: str | None, platform: str, text: str, author: str | None) -> str:
        """The suggested reply; raises LilyError PLAN_002 over the quota, EXTERNAL_001 / CONTENT_002 on AI failure."""


class InboxPorts(NamedTuple):
    """What the inbox's routes need: org membership (assignees) and the AI reply suggestion."""

    members: OrgMembers
    suggester: ReplySuggester
