"""Organizations, members, roles and invitations.

Rules: the creator is the owner; a user owns at most their organization limit (``LILY_MAX_OWNED_ORGS``, 5, or
what an admin set for them), by creating or by receiving a transfer; exactly one owner, changed only by transfer;
admins manage editors and viewers; only the owner promotes to or demotes from admin; the owner cannot leave or
be removed (transfer first). A pending invitation is honoured only while its inviter (a member, or an API key)
may still invite that role: an inviter removed, demoted or suspended since has revoked it.
"""

from __future__ import annotations

from datetime import timedelta

from lily.core import clock, ids
from lily.core.db import won, won_transaction
from lily.core.errors import ErrorCode, LilyError
from lily.core.pages import PageParams, query_page
from lily.identity import apikeys, audit, email
from lily.identity.access import OrgAccess, OrgRole, Principal, membership
from lily.identity.auth_tokens import consume_token, issue_token, peek_token
from lily.identity.models import Membership, Org, User
from lily.identity.ports import IdentityPorts, SeatQuota
from lily.identity.schemas import InviteOut, MemberOut, MemberPage, OrgOut, OrgPage, OrgUpdate
from lily.identity.settings import identity_settings
from lily.identity.users import get_user, link, normalise_email


def _concurrent_update() -> LilyError:
    return LilyError(ErrorCode.DB_002, "Concurrent update; retry")


def _seat_available(seats: SeatQuota, org_id: str) -> None:
    """Refuse (PLAN_002, with the limit and the plan that lifts it) when every seat is taken."""
    if seats.remaining(org_id) <= 0:
        seats.consume(org_id)  # raises the standard quota refusal
        seats.release(org_id)  # only reached if a seat freed up meanwhile


def _add_membership(seats: SeatQuota, org_id: str, user_id: str, role: str, email_addr: str | None) -> None:
    """The one way a member joins: take a seat first, give it back if the membership is not written."""
    seats.consume(org_id)
    member = Membership(org_id, user_id, role=role, email=email_addr, joined_at=clock.now())
    joined = False
    try:
        joined = won(lambda: member.save(condition=Membership.user_id.does_not_exist()))
    finally:
        if not joined:  # already a member (a racing request added them), or the write failed
            seats.release(org_id)
    if not joined:
        raise LilyError(ErrorCode.VALIDATION_003, "Already a member")


def _org_out(org: Org, role: str | None = None) -> OrgOut:
    return OrgOut(org_id=org.org_id, name=org.name, owner_id=org.owner_id, created_at=clock.iso(org.created_at),
                  role=role, timezone=org.timezone or "UTC")


def _member_out(m: Membership) -> MemberOut:
    return MemberOut(user_id=m.user_id, email=m.email, role=OrgRole(m.role), joined_at=clock.iso(m.joined_at))


def _get_org(org_id: str) -> Org:
    try:
        return Org.get(org_id)
    except Org.DoesNotExist:
        raise LilyError(ErrorCode.VALIDATION_004, "Organization not found") from None


def _owner(user_id: str) -> User:
    user = get_user(user_id)
    if user is None:
        raise LilyError(ErrorCode.VALIDATION_004, "User not found")
    return user


def _owned(user: User) -> int:
    """Organizations ``user`` owns: the counter every ownership change keeps, or (an account from before it) a
    count of their owner memberships."""
    if user.owned_orgs is not None:
        return int(user.owned_orgs)
    return sum(1 for m in Membership.by_user.query(user.user_id) if m.role == OrgRole.owner.value)


def _may_own_another(user: User) -> int:
    """How many organizations ``user`` owns now; refuses (409) when that is as many as they may."""
    limit = int(user.org_limit) if user.org_limit is not None else identity_settings().max_owned_orgs
    owned = _owned(user)
    if owned >= limit:
        raise LilyError(ErrorCode.VALIDATION_003, "Organization limit reached; ask an administrator to raise it",
                        {"limit": limit, "owned": owned})
    return owned


def _owns(tx, user: User, owned: int) -> None:
    """In an ownership-changing transaction: ``user`` now owns ``owned`` organizations, on condition that their
    counter is still what was read (so of concurrent changes for one user, one commits and the others lose)."""
    read = user.owned_orgs
    tx.update(user, actions=[User.owned_orgs.set(owned)],
              condition=User.owned_orgs.does_not_exist() if read is None else User.owned_orgs == read)


def create_org(ports: IdentityPorts, principal: Principal, name: str) -> OrgOut:
    if principal.kind != "user" or not principal.user_id:
        raise LilyError(ErrorCode.AUTH_003, "Only users create organizations")
    user = _owner(principal.user_id)
    owned = _may_own_another(user)
    now = clock.now()
    org = Org(ids.new_id("org"), name=name.strip(), owner_id=principal.user_id, created_at=now)
    owner = Membership(org.org_id, principal.user_id, role=OrgRole.owner.value, email=principal.email, joined_at=now)
    if not won_transaction(lambda tx: (tx.save(org, condition=Org.org_id.does_not_exist()), tx.save(owner),
                                       _owns(tx, user, owned + 1))):
        raise _concurrent_update()  # another ownership change for this user (or an id collision): nothing written
    ports.seats.consume(org.org_id)  # the owner's seat
    audit.record("org.create", "success", actor_id=principal.user_id, org_id=org.org_id)
    return _org_out(org, OrgRole.owner.value)


def my_orgs(principal: Principal, page: PageParams) -> OrgPage:
    if principal.kind == "api_key":
        org = _get_org(principal.api_key_org_id or "")
        return OrgPage(items=[_org_out(org, principal.api_key_role)])
    user_id = principal.user_id or ""
    memberships, cursor = query_page(
        lambda start, n: Membership.by_user.query(user_id, last_evaluated_key=start, limit=n),
        {"user_id": user_id}, page, lambda m: m)
    items = []
    for m in memberships:
        try:
            items.append(_org_out(Org.get(m.org_id), m.role))
        except Org.DoesNotExist:
            continue
    return OrgPage(items=items, next_cursor=cursor)


def get_org(access: OrgAccess) -> OrgOut:
    return _org_out(_get_org(access.org_id), access.role)


def update_org(access: OrgAccess, body: OrgUpdate) -> OrgOut:
    """Rename the organization or set its time zone (admins and the owner)."""
    org = _get_org(access.org_id)
    actions = []
    if body.name is not None:
        actions.append(Org.name.set(body.name.strip()))
    if body.timezone is not None:
        actions.append(Org.timezone.set(body.timezone))
    if actions:
        if not won(lambda: org.update(actions=actions, condition=Org.org_id.exists())):
            raise LilyError(ErrorCode.VALIDATION_004, "Organization not found")
        audit.record("org.update", "success", actor_id=access.principal.subject, org_id=access.org_id,
                     details={"fields": sorted(body.model_dump(exclude_none=True))})
    return _org_out(org, access.role)


def members(access: OrgAccess, page: PageParams) -> MemberPage:
    items, cursor = query_page(lambda start, n: Membership.query(access.org_id, last_evaluated_key=start, limit=n),
                               {"org_id": access.org_id}, page, _member_out)
    return MemberPage(items=items, next_cursor=cursor)


def invite(ports: IdentityPorts, access: OrgAccess, email_in: str, role: OrgRole) -> InviteOut:
    role = OrgRole(role)
    if role == OrgRole.owner:
        raise LilyError(ErrorCode.VALIDATION_001, "Ownership is transferred, not invited")
    if role == OrgRole.admin and access.role < OrgRole.owner:
        raise LilyError(ErrorCode.AUTH_003, "Only the owner invites admins")
    addr = normalise_email(email_in)
    org = _get_org(access.org_id)
    _seat_available(ports.seats, org.org_id)
    ttl = identity_settings().invite_ttl_s
    inviter = {"key_id": access.principal.api_key_id} if access.principal.kind == "api_key" else {}
    secret = issue_token("invite", ttl, user_id=access.principal.user_id,
                         data={"org_id": org.org_id, "email": addr, "role": role.value, **inviter})
    url = link("/api/invites/accept", secret)
    email.send(addr, f"You are invited to {org.name} on Lily",
               f"You were invited to join {org.name} as {role.value}. Accept with:\n{url}\n", [url], kind="invite")
    audit.record("org.invite", "success", actor_id=access.principal.subject, org_id=org.org_id, target=addr,
                 details={"role": role.value})
    return InviteOut(org_id=org.org_id, email=addr, role=role,
                     expires_at=clock.iso(clock.now() + timedelta(seconds=ttl)))


def accept_invite(ports: IdentityPorts, principal: Principal, secret: str) -> OrgOut:
    if principal.kind != "user" or not principal.user_id:
        raise LilyError(ErrorCode.AUTH_003, "Only users accept invitations")
    item = peek_token("invite", secret)
    data = item.data or {}
    user = get_user(principal.user_id)
    if user is None or user.email != data.get("email"):
        audit.record("org.invite_accept", "denied", actor_id=principal.user_id, org_id=data.get("org_id"))
        raise LilyError(ErrorCode.AUTH_003, "This invitation is for another email address")
    org = _get_org(data["org_id"])
    if not _inviter_may_invite(org.org_id, item.user_id, data.get("key_id"), OrgRole(data["role"])):
        consume_token("invite", secret)  # revoked for good: regaining the right later does not revive it
        audit.record("org.invite_accept", "denied", actor_id=principal.user_id, org_id=org.org_id,
                     details={"reason": "inviter_lost_right"})
        raise LilyError(ErrorCode.AUTH_003, "This invitation was revoked: its sender can no longer invite")
    if membership(org.org_id, principal.user_id) is not None:
        raise LilyError(ErrorCode.VALIDATION_003, "Already a member")
    _seat_available(ports.seats, org.org_id)
    consume_token("invite", secret)
    _add_membership(ports.seats, org.org_id, principal.user_id, data["role"], user.email)
    audit.record("org.invite_accept", "success", actor_id=principal.user_id, org_id=org.org_id,
                 details={"role": data["role"]})
    return _org_out(org, data["role"])


def _inviter_may_invite(org_id: str, inviter_id: str | None, key_id: str | None, role: OrgRole) -> bool:
    """May the invitation's sender still invite ``role`` here (an admin; the owner for admins; a live key)?"""
    needed = OrgRole.owner if role == OrgRole.admin else OrgRole.admin
    if key_id:
        return apikeys.may_invite(key_id, org_id) and needed <= OrgRole.admin
    m = membership(org_id, inviter_id) if inviter_id else None
    inviter = get_user(inviter_id) if m is not None and inviter_id else None
    return inviter is not None and inviter.status == "active" and OrgRole(m.role) >= needed


def add_member_direct(ports: IdentityPorts, org_id: str, user_id: str, role: OrgRole,
                      email_addr: str | None = None) -> None:
    """Add a member without an invitation (administration and tests)."""
    _add_membership(ports.seats, org_id, user_id, OrgRole(role).value, email_addr)


def _target(access: OrgAccess, user_id: str) -> Membership:
    m = membership(access.org_id, user_id)
    if m is None:
        raise LilyError(ErrorCode.VALIDATION_004, "Member not found")
    return m


def _may_manage(access: OrgAccess, current: OrgRole, new: OrgRole | None) -> None:
    if current == OrgRole.owner:
        raise LilyError(ErrorCode.AUTH_003, "The owner's membership changes only by transfer")
    if new == OrgRole.owner:
        raise LilyError(ErrorCode.VALIDATION_001, "Use ownership transfer")
    if (current == OrgRole.admin or new == OrgRole.admin) and access.role < OrgRole.owner:
        raise LilyError(ErrorCode.AUTH_003, "Only the owner manages admins")


def change_role(access: OrgAccess, user_id: str, role: OrgRole) -> MemberOut:
    role = OrgRole(role)
    m = _target(access, user_id)
    old = OrgRole(m.role)
    _may_manage(access, old, role)
    if not won(lambda: m.update(actions=[Membership.role.set(role.value)], condition=Membership.role == old.value)):
        raise _concurrent_update()
    audit.record("org.role_change", "success", actor_id=access.principal.subject, org_id=access.org_id,
                 target=user_id, details={"from": old.value, "to": role.value})
    if role < old:  # the keys they made above their new role die with the rights they lost
        apikeys.revoke_created_by(access.org_id, user_id, "creator_demoted", keep_up_to=role)
    return _member_out(m)


def remove_member(ports: IdentityPorts, access: OrgAccess, user_id: str) -> None:
    m = _target(access, user_id)
    _may_manage(access, OrgRole(m.role), None)
    m.delete(condition=Membership.role == m.role)
    ports.seats.release(access.org_id)
    apikeys.revoke_created_by(access.org_id, user_id, "creator_removed")
    audit.record("org.member_remove", "success", actor_id=access.principal.subject, org_id=access.org_id,
                 target=user_id, details={"role": m.role})


def leave(ports: IdentityPorts, access: OrgAccess) -> None:
    if access.principal.kind != "user":
        raise LilyError(ErrorCode.AUTH_003, "API keys cannot leave")
    if access.role == OrgRole.owner:
        raise LilyError(ErrorCode.VALIDATION_003, "Transfer ownership before leaving")
    Membership(access.org_id, access.principal.user_id).delete()
    ports.seats.release(access.org_id)
    apikeys.revoke_created_by(access.org_id, access.principal.user_id or "", "creator_left")
    audit.record("org.leave", "success", actor_id=access.principal.user_id, org_id=access.org_id)


def transfer(access: OrgAccess, new_owner_id: str) -> OrgOut:
    if access.role != OrgRole.owner or access.principal.kind != "user":
        raise LilyError(ErrorCode.AUTH_003, "Only the owner transfers ownership")
    if new_owner_id == access.principal.user_id:
        raise LilyError(ErrorCode.VALIDATION_003, "You already own this organization")
    target = _target(access, new_owner_id)
    new_user = _owner(new_owner_id)
    owned_by_new = _may_own_another(new_user)
    org = _get_org(access.org_id)
    old_owner = access.principal.user_id or ""
    old_user = _owner(old_owner)
    owned_by_old = _owned(old_user)

    def swap(tx) -> None:
        tx.update(org, actions=[Org.owner_id.set(new_owner_id)], condition=Org.owner_id == old_owner)
        _owns(tx, new_user, owned_by_new + 1)
        _owns(tx, old_user, max(0, owned_by_old - 1))
        tx.update(target, actions=[Membership.role.set(OrgRole.owner.value)], condition=Membership.role == target.role)
        tx.update(Membership(access.org_id, old_owner), actions=[Membership.role.set(OrgRole.admin.value)],
                  condition=Membership.role == OrgRole.owner.value)

    if not won_transaction(swap):
        audit.record("org.transfer", "failure", actor_id=old_owner, org_id=access.org_id, target=new_owner_id)
        raise _concurrent_update()
    audit.record("org.transfer", "success", actor_id=old_owner, org_id=access.org_id, target=new_owner_id)
    return _org_out(_get_org(access.org_id), OrgRole.admin.value)


def claim_owner_trial(org_id: str) -> bool:
    """The owner's one free trial goes to ``org_id``: True when it did now or before, False when it went elsewhere
    (billing's ``TrialClaim`` port). An organization without a known owner has no account to count against."""
    try:
        owner = get_user(Org.get(org_id).owner_id)
    except Org.DoesNotExist:
        owner = None
    if owner is None:
        return True
    return won(lambda: owner.update(actions=[User.trial_org_id.set(org_id)],
                                    condition=User.trial_org_id.does_not_exist() | (User.trial_org_id == org_id)))
