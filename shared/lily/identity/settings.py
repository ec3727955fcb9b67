"""Identity settings (environment ``LILY_*``); see docs/identity.md for every variable."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config


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
    access_ttl_user_s: int = Field(15 * 60, ge=60)
    access_ttl_admin_s: int = Field(30 * 60, ge=60)
    refresh_ttl_s: int = Field(7 * 24 * 3600, ge=300)
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

    lockout_threshold: int = Field(5, ge=1, description="Failures before an account is locked")
    lockout_base_s: int = Field(30, ge=1, description="First lockout delay; doubles per further failure")
    lockout_max_s: int = Field(3600, ge=1)
    lockout_window_s: int = Field(3600, ge=60, description="Failures are forgotten after this")
    ip_failure_threshold: int = Field(20, ge=1, description="Failures from one IP before it is locked")

    rate_limit_window_s: int = Field(60, ge=1)
    rate_limit_ip: int = Field(600, ge=1, description="Requests per IP per window per route class")
    rate_limit_auth_ip: int = Field(120, ge=1, description="Requests per IP per window on /api/auth")
    rate_limit_user: int = Field(600, ge=1, description="Requests per user/API key per window per class")

    api_key_default_days: int = Field(90, ge=1, description="Lifetime of an API key created without expires_in_days")
    api_key_max_days: int = Field(365, ge=1, description="Longest lifetime an API key may ask for")

    enumeration_floor_ms: int = Field(120, ge=0, description="Minimum answer time of email-keyed public routes")

    email_sender: str = Field("no-reply@lily.local", description="SES From address")
    totp_issuer: str = Field("Lily", description="Issuer shown in authenticator apps")
    audit_retention_days: int = Field(90, ge=1)


@lru_cache(maxsize=1)
def identity_settings() -> IdentitySettings:
    return load(IdentitySettings)


on_reset(identity_settings.cache_clear)
