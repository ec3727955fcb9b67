"""How platform administrators come to be: never by registering first.

An operator grants the first one (``python -m functions.admin_cli grant-super-admin EMAIL``), or the deployment names it
with ``LILY_BOOTSTRAP_ADMIN_EMAIL``: the account registered with exactly that address is created super_admin
(it can only sign in after proving the mailbox). Every later change goes through ``/api/admin/users``.
"""

from __future__ import annotations

from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import logger
from lily.identity import audit
from lily.identity.access import PlatformRole
from lily.identity.models import User
from lily.identity.revocation import revoke_all_sessions
from lily.identity.settings import identity_settings
from lily.identity.users import normalise_email, user_by_email


def is_bootstrap_admin(address: str) -> bool:
    """Is ``address`` (normalised) the one ``LILY_BOOTSTRAP_ADMIN_EMAIL`` names?"""
    configured = identity_settings().bootstrap_admin_email
    return bool(configured) and normalise_email(configured or "") == address


def grant_super_admin(email_in: str) -> User:
    """Operator command: make an existing account super_admin (its sessions are revoked: tokens carry roles)."""
    user = user_by_email(normalise_email(email_in))
    if user is None:
        raise LilyError(ErrorCode.VALIDATION_004, "No account with that email; register it first")
    user.update(actions=[User.platform_role.set(PlatformRole.super_admin.value)])
    revoke_all_sessions(user.user_id, "platform role granted")
    audit.record("admin.grant_super_admin", "success", actor_id="operator", target=user.user_id)
    logger.info("super admin granted by an operator", extra={"target": user.user_id})
    return user
