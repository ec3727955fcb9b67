"""API errors in the user's language: what happened and what to do, never a stack trace or a raw code alone."""

from __future__ import annotations

from typing import NamedTuple

from lily.console.client import ApiError

_PLAIN = {
    "AUTH_001": "Please sign in to continue.",
    "AUTH_002": "Your session has ended. Please sign in again.",
    "AUTH_003": "Your role in this organization does not allow that. Ask an owner or admin.",
    "AUTH_004": "Too many attempts. Wait a few minutes, then try again.",
    "AUTH_005": "This form had expired. Please try again.",
    "AUTH_006": "That code was not right (or the password, where one was asked). Check it and try again.",
    "AUTH_007": "This account is not active yet: check your email for the verification link.",
    "VALIDATION_004": "We could not find that. It may have been deleted.",
    "PLAN_001": "Your plan does not include this. Upgrade to use it.",
    "PLAN_002": "You have used all of this plan's allowance for now. Upgrade for more.",
    "RATE_001": "You are going a little fast. Wait a moment and try again.",
    "CONTENT_002": "The writing assistant could not produce a draft just now. Try again in a moment.",
    "CONTENT_004": "That content was blocked by our content policy. Rephrase it and try again.",
    "SOCIAL_002": "The connection could not be completed. Start it again from Connections.",
    "SOCIAL_004": "This account needs to be reconnected.",
    "EXTERNAL_001": "The AI provider is not answering right now. Try again shortly.",
    "EXTERNAL_002": "The billing provider is not answering right now. Try again shortly.",
    "SYSTEM_001": "Something went wrong on our side. Try again; if it keeps happening, contact support.",
    "SYSTEM_002": "The service is busy or unreachable. Try again shortly.",
}


class Problem(NamedTuple):
    message: str
    detail: str
    code: str
    upgrade: bool = False


SIGN_IN = {"AUTH_002": "That email and password do not match an active account. Check them and try again."}


def plain(exc: ApiError, overrides: dict[str, str] | None = None) -> Problem:
    """The message to show: a sentence for the code (``overrides`` first, for what the code means on that page),
    with the API's own message as the detail."""
    message = (overrides or {}).get(exc.code) or _PLAIN.get(exc.code) or f"{exc.message.rstrip('.')}."
    detail = exc.message
    errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if errors:
        detail = "; ".join(f"{'.'.join(e.get('loc', [])[1:]) or 'request'}: {e.get('msg', '')}" for e in errors)
    return Problem(message=message, detail=detail, code=exc.code, upgrade=exc.code.startswith("PLAN_"))
