"""The calling client's address for the current request: set by the rate-limit middleware, read by the audit log.

Its own module (no Starlette) so that code run outside HTTP (the billing worker revoking keys) can write an audit
entry without loading the web framework.
"""

from __future__ import annotations

import contextvars

CLIENT_IP: contextvars.ContextVar[str | None] = contextvars.ContextVar("lily_client_ip", default=None)


def current_ip() -> str | None:
    return CLIENT_IP.get()
