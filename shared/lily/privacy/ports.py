"""What privacy needs from the other capabilities, and the bundle its use cases take (:class:`PrivacyPorts`).

The export and erasure walk every table through the data registry (``lily.core.retention``); what is not a table
row comes through these ports, each implemented by the capability that owns it and wired in
:func:`lily.composition.privacy_ports`:

- :class:`DataSubjects` (identity): who owns what, and a person's sessions;
- :class:`PlatformTokens` (social): revoke every connection's grant at its platform;
- :class:`Subscriptions` (billing): cancel the organization's Stripe subscription;
- :class:`VectorMemory` (research): forget the organization's vectors;
- :class:`Seats` (billing): a seat freed when a member is erased from an organization that stays;
- :class:`Mailer` (identity): the export link by e-mail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from lily.core.db import LilyModel


class OwnedOrg(NamedTuple):
    org_id: str
    members: int  # the owner included


class DataSubjects(Protocol):
    def email_of(self, user_id: str) -> str | None:
        """The person's address (None: no such person)."""

    def owned_orgs(self, user_id: str) -> list[OwnedOrg]:
        """The organizations the person owns, with their member counts."""

    def member_orgs(self, user_id: str) -> list[str]:
        """Every organization the person is a member of (owned ones included)."""

    def end_sessions(self, user_id: str) -> None:
        """Revoke every session and access token of the person (kept until the tokens expire)."""

    def record_erasure(self, kind: str, details: dict[str, object]) -> None:
        """The audit record that an erasure ran: no actor, organization, address or id, only ``details``."""


class PlatformTokens(Protocol):
    def revoke_org(self, org_id: str) -> int:
        """Revoke every connection's grant of the organization at its platform; returns how many were revoked."""


class Subscriptions(Protocol):
    def cancel_org(self, org_id: str) -> bool:
        """Cancel the organization's subscription at once (idempotent); True when one was cancelled now."""


class VectorMemory(Protocol):
    def forget_org(self, org_id: str) -> None:
        """Delete every vector of the organization from the research index (idempotent)."""


class Seats(Protocol):
    def release(self, org_id: str, amount: int = 1) -> None: ...


class Mailer(Protocol):
    def __call__(self, to: str, subject: str, text: str, links: list[str], kind: str) -> None: ...


class PrivacyPorts(NamedTuple):
    models: tuple[type[LilyModel], ...]  # every table of the deployment (the registry's scope)
    subjects: DataSubjects
    tokens: PlatformTokens
    subscriptions: Subscriptions
    vectors: VectorMemory
    seats: Seats
    mail: Mailer
