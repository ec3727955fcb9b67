"""The org's approval policy: who waits (roles, autopilot) and who decides (admins, owners, named roles)."""

from __future__ import annotations

from lily.approvals.models import ApprovalPolicy
from lily.approvals.schemas import PolicyIn, PolicyOut
from lily.core import clock
from lily.core.db import won
from lily.core.errors import conflict

DECIDERS = ("admin", "owner")  # always approvers (PRODUCT.md: posts wait for an admin or owner)


def load(org_id: str) -> ApprovalPolicy:
    try:
        return ApprovalPolicy.get(org_id, consistent_read=True)
    except ApprovalPolicy.DoesNotExist:
        return ApprovalPolicy(org_id, roles=[], autopilot=False, approver_roles=[], version=0)


def out(p: ApprovalPolicy) -> PolicyOut:
    roles, approvers = list(p.roles or []), list(p.approver_roles or [])
    return PolicyOut(org_id=p.org_id, roles=roles, autopilot=bool(p.autopilot), approver_roles=approvers,
                     enabled=bool(roles or p.autopilot), version=int(p.version or 0), updated_at=p.updated_at)


def get(org_id: str) -> PolicyOut:
    return out(load(org_id))


def put(org_id: str, body: PolicyIn, actor: str | None) -> PolicyOut:
    current = load(org_id)
    version = int(current.version or 0)
    if body.expected_version is not None and body.expected_version != version:
        raise conflict("the approval policy changed; reload it", version=version)
    item = ApprovalPolicy(org_id, roles=sorted(set(body.roles)), autopilot=body.autopilot,
                          approver_roles=sorted(set(body.approver_roles)), updated_by=actor,
                          updated_at=clock.now(), version=version + 1)
    cond = ApprovalPolicy.org_id.does_not_exist() if version == 0 else ApprovalPolicy.version == version
    if not won(lambda: item.save(condition=cond)):
        raise conflict("the approval policy changed; reload it")
    return out(item)


def needs_approval(p: ApprovalPolicy, role: str | None, origin: str) -> bool:
    if origin == "autopilot":
        return bool(p.autopilot)
    return role is not None and role not in DECIDERS and role in (p.roles or [])


def may_decide(p: ApprovalPolicy, role: str) -> bool:
    return role in DECIDERS or role in (p.approver_roles or [])


def approver_roles(p: ApprovalPolicy) -> list[str]:
    return sorted({*DECIDERS, *(p.approver_roles or [])})
