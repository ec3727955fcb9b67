"""Platform administration of users: find, inspect, change platform role or status (which revokes the
user's sessions, since outstanding tokens carry the old role; suspending also revokes the API keys they made)."""

from __future__ import annotations

from typing import Any

from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import logger
from lily.identity import apikeys, audit
from lily.identity.access import PlatformRole, Principal
from lily.identity.models import User
from lily.identity.revocation import revoke_all_sessions
from lily.identity.schemas import PublicUser
from lily.identity.users import get_user, normalise_email, public_user, user_by_email


def _found(user: User | None) -> User:
    if user is None:
        raise LilyError(ErrorCode.VALIDATION_004, "User not found")
    return user


def admin_find_user(email_addr: str) -> PublicUser:
    return public_user(_found(user_by_email(normalise_email(email_addr))), with_orgs=True)


def admin_get_user(user_id: str) -> PublicUser:
    return public_user(_found(get_user(user_id)), with_orgs=True)


def admin_update_user(actor: Principal, user_id: str, platform_role: str | None | Any = ...,
                      status: str | None = None) -> PublicUser:
    user = _found(get_user(user_id))
    if user_id == actor.user_id:
        raise LilyError(ErrorCode.VALIDATION_003, "You cannot change your own platform role or status")
    actions = []
    details: dict[str, Any] = {}
    if platform_role is not ...:
        role = PlatformRole(platform_role).value if platform_role else None
        actions.append(User.platform_role.set(role) if role else User.platform_role.remove())
        details["platform_role"] = role
    if status is not None:
        actions.append(User.status.set(status))
        details["status"] = status
    if actions:
        user.update(actions=actions)
        # New role or status applies now: outstanding tokens carry the old one.
        revoke_all_sessions(user_id, "admin change")
        if status == "suspended":
            apikeys.revoke_created_by_everywhere(user_id, "creator_suspended")
    audit.record("admin.user_update", "success", actor_id=actor.user_id, target=user_id, details=details)
    logger.info("user updated by admin", extra={"target": user_id})
    return public_user(user, with_orgs=True)


def set_org_limit(email_addr: str, limit: int, actor_id: str | None = None) -> User:
    """Let the user with ``email_addr`` own up to ``limit`` organizations (the operator command's use case)."""
    if limit < 1:
        raise LilyError(ErrorCode.VALIDATION_002, "The limit must be at least 1")
    user = _found(user_by_email(normalise_email(email_addr)))
    user.update(actions=[User.org_limit.set(limit)])
    audit.record("admin.org_limit", "success", actor_id=actor_id, target=user.user_id, details={"limit": limit})
    return user
