"""Identity settings (environment ``LILY_*``); see docs/identity.md for every variable."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config
from lily.core.errors import ErrorCode, LilyError
from lily.core.resources import read_secret


class IdentitySettings(BaseSettings):
    model_config = settings_config()

    registration_mode: Literal["open", "closed"] = Field("open", description="closed needs registration_key")
    registration_key: str | None = Field(None, description="Key required to register when closed")
    bootstrap_admin_email: str | None = Field(None, description="The account registered with this address is "
                                              "created super_admin (no one else becomes admin by registering)")

    jwt_issuer: str = Field("https://lily.local", description="iss of access tokens")
    jwt_audience: str = Field("lily-api", description="aud of access tokens")
    jwt_key_cache_s: int = Field(300, ge=0, description="How long signing keys are cached in-process")
    jwt_key_refetch_s: int = Field(30, ge=0, description="Min seconds between refetches on an unknown kid")
    jwt_rotation_days: int = Field(30, ge=0, description="Age at which the jwt_rotation job replaces the signing key "
                                                         "(0: at its next run)")
    access_ttl_user_s: int = Field(15 * 60, ge=60)
    access_ttl_admin_s: int = Field(30 * 60, ge=60)
    refresh_ttl_s: int = Field(7 * 24 * 3600, ge=300)
    refresh_family_max_s: int = Field(30 * 24 * 3600, ge=300, description="Absolute lifetime of a session "
                                      "(refresh family) from its login, whatever the rotations")
    jwt_leeway_s: int = Field(10, ge=0, le=120, description="Clock skew allowed on exp/nbf/iat")

    verify_token_ttl_s: int = Field(24 * 3600, ge=60)
    reset_token_ttl_s: int = Field(3600, ge=60)
    invite_ttl_s: int = Field(7 * 24 * 3600, ge=60)
    mfa_challenge_ttl_s: int = Field(300, ge=30)
    resend_per_hour: int = Field(3, ge=1, description="Verification/reset emails per address per hour")

    password_min_length: int = Field(12, ge=8)
    argon2_time_cost: int = Field(2, ge=1)
    argon2_memory_kib: int = Field(19456, ge=1024, description="OWASP minimum for argon2id: 19 MiB")
    argon2_parallelism: int = Field(1, ge=1)

    lockout_threshold: int = Field(5, ge=1, description="Failures before an account is locked for the IP they "
                                   "came from (never for everyone)")
    lockout_base_s: int = Field(30, ge=1, description="First lockout delay; doubles per further failure")
    login_slowdown_step_ms: int = Field(200, ge=0, description="Added per failure beyond lockout_threshold, from "
                                        "any IP, to every attempt on the account")
    login_slowdown_max_ms: int = Field(2000, ge=0, description="Longest slowdown of an attempt")
    lockout_max_s: int = Field(3600, ge=1)
    lockout_window_s: int = Field(3600, ge=60, description="Failures are forgotten after this")
    ip_failure_threshold: int = Field(20, ge=1, description="Failures from one IP before it is locked")

    rate_limit_window_s: int = Field(60, ge=1)
    rate_limit_ip: int = Field(600, ge=1, description="Requests per IP per window per route class")
    rate_limit_auth_ip: int = Field(120, ge=1, description="Requests per IP per window on /api/auth")
    rate_limit_user: int = Field(600, ge=1, description="Requests per user/API key per window per class")

    max_owned_orgs: int = Field(5, ge=1, description="Organizations a user may own unless an admin raised their "
                                "limit (python -m functions.admin_cli set-org-limit)")

    api_key_default_days: int = Field(90, ge=1, description="Lifetime of an API key created without expires_in_days")
    api_key_max_days: int = Field(365, ge=1, description="Longest lifetime an API key may ask for")
    api_key_purge_days: int = Field(30, ge=1, description="Days an expired or revoked API key stays listed before "
                                                          "its TTL removes it")

    enumeration_floor_ms: int = Field(120, ge=0, description="Minimum answer time of email-keyed public routes")

    email_sender: str = Field("no-reply@lily.local", description="SES From address")
    totp_issuer: str = Field("Lily", description="Issuer shown in authenticator apps")
    audit_retention_days: int = Field(90, ge=1)


@lru_cache(maxsize=1)
def identity_settings() -> IdentitySettings:
    return load(IdentitySettings)


on_reset(identity_settings.cache_clear)


@lru_cache(maxsize=1)
def csrf_keys() -> list[str]:
    """The CSRF binding keys (secret ``csrf-keys``), newest first: tokens are made with the first and accepted
    with any, so a new key can be put in front without ending sessions (cached per cold start; never logged)."""
    keys = [str(k) for k in read_secret("csrf-keys").get("keys") or [] if k]
    if not keys:
        raise LilyError(ErrorCode.SYSTEM_003, "CSRF key configuration invalid")
    return keys


on_reset(csrf_keys.cache_clear)
