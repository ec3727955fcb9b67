"""The account and session use cases the ``auth`` and ``admin`` functions call, in one import
(``from lily.identity import service``).

Each lives in the module named after it; new code imports from there: :mod:`registration` (register,
verify, resend), :mod:`password_reset`, :mod:`sessions` (login, second factor, refresh rotation, logout,
me), :mod:`two_factor` (TOTP enrolment), :mod:`user_admin`; shared pieces in :mod:`users`,
:mod:`auth_tokens` and :mod:`revocation`; request and response models in :mod:`schemas`.
"""

from lily.identity.password_reset import check_reset_token, confirm_password_reset, request_password_reset
from lily.identity.registration import register, resend_verification, verify_email
from lily.identity.schemas import MfaChallenge, PublicUser, Session
from lily.identity.sessions import login, login_second_factor, logout, me, refresh
from lily.identity.two_factor import totp_disable, totp_enable, totp_setup
from lily.identity.user_admin import admin_find_user, admin_get_user, admin_update_user
from lily.identity.users import normalise_email, user_by_email

__all__ = [
    "MfaChallenge", "PublicUser", "Session", "admin_find_user", "admin_get_user", "admin_update_user",
    "check_reset_token", "confirm_password_reset", "login", "login_second_factor", "logout", "me",
    "normalise_email", "refresh", "register", "request_password_reset", "resend_verification", "totp_disable",
    "totp_enable", "totp_setup", "user_by_email", "verify_email",
]
