"""The one error taxonomy, its JSON body and its HTTP mapping.

Every error a client can see is a :class:`LilyError` carrying an :class:`ErrorCode`. The body is
always ``{"error": {"code", "message", "details", "request_id"}}`` and the status comes from the
code, in this one place.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # code value, HTTP status, default message
    AUTH_001 = "AUTH_001"  # not authenticated
    AUTH_002 = "AUTH_002"  # token invalid, expired or revoked
    AUTH_003 = "AUTH_003"  # authenticated but not allowed
    AUTH_004 = "AUTH_004"  # account locked / too many attempts
    AUTH_005 = "AUTH_005"  # CSRF check failed
    AUTH_006 = "AUTH_006"  # second factor required or wrong
    AUTH_007 = "AUTH_007"  # account suspended or email not verified
    VALIDATION_001 = "VALIDATION_001"  # malformed request / field format
    VALIDATION_002 = "VALIDATION_002"  # value out of range
    VALIDATION_003 = "VALIDATION_003"  # conflict with current state
    VALIDATION_004 = "VALIDATION_004"  # resource not found
    VALIDATION_005 = "VALIDATION_005"  # payload too large / unsupported media
    PLAN_001 = "PLAN_001"  # feature not in plan
    PLAN_002 = "PLAN_002"  # quota used up
    RATE_001 = "RATE_001"  # request rate limit
    CONTENT_001 = "CONTENT_001"  # content fails platform constraints
    CONTENT_002 = "CONTENT_002"  # content generation failed
    CONTENT_003 = "CONTENT_003"  # publishing failed
    CONTENT_004 = "CONTENT_004"  # content blocked by moderation / policy
    SOCIAL_001 = "SOCIAL_001"  # platform API failure (unknown)
    SOCIAL_002 = "SOCIAL_002"  # OAuth flow failure (state, code, redirect)
    SOCIAL_003 = "SOCIAL_003"  # platform rate limited
    SOCIAL_004 = "SOCIAL_004"  # platform credentials expired: reconnect
    SOCIAL_005 = "SOCIAL_005"  # platform permission missing
    SOCIAL_006 = "SOCIAL_006"  # platform rejected the content (validation)
    SOCIAL_007 = "SOCIAL_007"  # platform transient failure
    WORKFLOW_001 = "WORKFLOW_001"  # execution failed
    WORKFLOW_002 = "WORKFLOW_002"  # scheduling failed
    DB_001 = "DB_001"  # database unreachable
    DB_002 = "DB_002"  # integrity / conditional check failed
    EXTERNAL_001 = "EXTERNAL_001"  # AI provider failure
    EXTERNAL_002 = "EXTERNAL_002"  # billing provider failure
    EXTERNAL_003 = "EXTERNAL_003"  # other third party failure
    SYSTEM_001 = "SYSTEM_001"  # unexpected server error
    SYSTEM_002 = "SYSTEM_002"  # service unavailable
    SYSTEM_003 = "SYSTEM_003"  # configuration error
    WEBHOOK_001 = "WEBHOOK_001"  # webhook signature invalid or stale

    @property
    def status(self) -> int:
        return _STATUS[self]

    @property
    def default_message(self) -> str:
        return _MESSAGE[self]


_TABLE: dict[ErrorCode, tuple[int, str]] = {
    ErrorCode.AUTH_001: (401, "Authentication required"),
    ErrorCode.AUTH_002: (401, "Invalid or expired credentials"),
    ErrorCode.AUTH_003: (403, "Not allowed"),
    ErrorCode.AUTH_004: (429, "Too many attempts; try again later"),
    ErrorCode.AUTH_005: (403, "CSRF check failed"),
    ErrorCode.AUTH_006: (401, "Second factor required or invalid"),
    ErrorCode.AUTH_007: (403, "Account not active"),
    ErrorCode.VALIDATION_001: (422, "Invalid request"),
    ErrorCode.VALIDATION_002: (422, "Value out of range"),
    ErrorCode.VALIDATION_003: (409, "Conflict with the current state"),
    ErrorCode.VALIDATION_004: (404, "Not found"),
    ErrorCode.VALIDATION_005: (413, "Payload too large or unsupported"),
    ErrorCode.PLAN_001: (403, "Not included in your plan"),
    ErrorCode.PLAN_002: (429, "Plan quota used up"),
    ErrorCode.RATE_001: (429, "Too many requests"),
    ErrorCode.CONTENT_001: (422, "Content does not meet the platform's rules"),
    ErrorCode.CONTENT_002: (502, "Content generation failed"),
    ErrorCode.CONTENT_003: (502, "Publishing failed"),
    ErrorCode.CONTENT_004: (422, "Content blocked by policy"),
    ErrorCode.SOCIAL_001: (502, "Social platform error"),
    ErrorCode.SOCIAL_002: (400, "Authorization with the platform failed"),
    ErrorCode.SOCIAL_003: (429, "Social platform rate limit"),
    ErrorCode.SOCIAL_004: (409, "Platform credentials expired; reconnect the account"),
    ErrorCode.SOCIAL_005: (403, "Platform permission missing"),
    ErrorCode.SOCIAL_006: (422, "Platform rejected the content"),
    ErrorCode.SOCIAL_007: (503, "Social platform temporarily unavailable"),
    ErrorCode.WORKFLOW_001: (500, "Workflow execution failed"),
    ErrorCode.WORKFLOW_002: (409, "Scheduling failed"),
    ErrorCode.DB_001: (503, "Database unavailable"),
    ErrorCode.DB_002: (409, "Concurrent update; retry"),
    ErrorCode.EXTERNAL_001: (502, "AI provider error"),
    ErrorCode.EXTERNAL_002: (502, "Billing provider error"),
    ErrorCode.EXTERNAL_003: (502, "Upstream service error"),
    ErrorCode.SYSTEM_001: (500, "Internal error"),
    ErrorCode.SYSTEM_002: (503, "Service unavailable"),
    ErrorCode.SYSTEM_003: (500, "Service misconfigured"),
    ErrorCode.WEBHOOK_001: (400, "Invalid webhook signature"),
}
_STATUS = {code: status for code, (status, _) in _TABLE.items()}
_MESSAGE = {code: message for code, (_, message) in _TABLE.items()}


class LilyError(Exception):
    """An error with a taxonomy code. ``headers`` are added to the HTTP answer (e.g. Retry-After)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.code = code
        self.message = message or code.default_message
        self.details = details or {}
        self.headers = headers or {}
        self.retryable = retryable if retryable is not None else code.status in (429, 502, 503)
        super().__init__(f"{code.value}: {self.message}")

    @property
    def status(self) -> int:
        return self.code.status

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details, request_id)


def error_body(
    code: ErrorCode, message: str, details: dict[str, Any] | None = None, request_id: str | None = None
) -> dict[str, Any]:
    return {"error": {"code": code.value, "message": message, "details": details or {}, "request_id": request_id}}


# Convenience constructors for the most common cases.
def not_found(what: str, **details: Any) -> LilyError:
    return LilyError(ErrorCode.VALIDATION_004, f"{what} not found", details)


def conflict(message: str, **details: Any) -> LilyError:
    return LilyError(ErrorCode.VALIDATION_003, message, details)


def invalid(message: str, **details: Any) -> LilyError:
    return LilyError(ErrorCode.VALIDATION_001, message, details)


def forbidden(message: str = "Not allowed", **details: Any) -> LilyError:
    return LilyError(ErrorCode.AUTH_003, message, details)


def unauthenticated(message: str = "Authentication required") -> LilyError:
    return LilyError(ErrorCode.AUTH_001, message)
