"""What billing needs from other capabilities, and the bundle its use cases take (:class:`BillingPorts`).

:class:`PlanChangeListener`: a capability that must react when an organization's plan changes (social
pauses the connections over a lower plan's limit and resumes them on an upgrade) implements it;
:mod:`lily.composition` lists the implementations in :class:`BillingPorts`. The billing worker (after a
Stripe event), in-app changes and the daily reaper call every listener exactly once per transition (the
transition is claimed with a conditional write first, :func:`lily.billing.subscription_sync.apply_plan`).
Listeners must be idempotent and must never delete data. A failing listener is logged and counted; the
others still run.

:class:`TrialClaim`: a free trial is granted once per account, not once per organization; identity records which
organization the owner's trial went to (:func:`lily.identity.orgs.claim_owner_trial`).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from lily.billing.plans import Plan


class PlanChangeListener(Protocol):
    def __call__(self, org_id: str, old_plan: Plan, new_plan: Plan) -> None:
        """React to the organization moving from ``old_plan`` to ``new_plan`` (idempotent; never deletes)."""


class TrialClaim(Protocol):
    def __call__(self, org_id: str) -> bool:
        """Give the owner's one free trial to ``org_id``: True when it is this organization's (now or already)."""


class BillingPorts(NamedTuple):
    """What billing's use cases need from other capabilities: the trial claim (checkout) and the plan change
    listeners (everything that applies a plan: the worker, in-app changes, the reaper)."""

    trial_claim: TrialClaim
    plan_change_listeners: tuple[PlanChangeListener, ...]


class GaugeCount(Protocol):
    def counts(self) -> dict[str, int]:
        """The real number of things a gauge quota counts, per organization (organizations with none left out)."""


class GaugeReconcilePorts(NamedTuple):
    """The nightly gauge reconciliation (:mod:`lily.billing.gauge_reconcile`): for each gauge quota by name
    (``social_profiles``, ``team_seats``), the capability that owns the things it counts."""

    sources: dict[str, GaugeCount]
