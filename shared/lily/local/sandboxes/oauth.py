"""OAuth pieces the platform sandboxes share: the approving authorize page, PKCE as RFC 7636 checks it, the
bearer token of a request and its form (query and body)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

PKCE_METHODS = ("S256", "plain")
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1: unreserved characters, 43 to 128 of them


def pkce_verifies(challenge: str, method: str, verifier: str | None) -> bool:
    """RFC 7636 §4.6, as the authorization servers check it: the verifier is well formed and
    ``BASE64URL(SHA256(verifier))`` (``S256``) or the verifier itself (``plain``) equals the challenge."""
    if not verifier or not _VERIFIER.fullmatch(verifier) or method not in PKCE_METHODS:
        return False
    if method == "S256":
        verifier = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(verifier, challenge)


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.query_params.get("access_token")


async def form_of(request: Request) -> dict[str, str]:
    data = dict(request.query_params)
    if request.method == "POST":
        data.update({k: str(v) for k, v in (await request.form()).items()})
    return data


def approve_flow(request: Request, form: dict[str, str], issue: Callable[[str], str], title: str) -> Response:
    """The authorize page: ``auto=1`` (or a POST) approves and 302s to ``redirect_uri`` with code and state;
    ``deny=1`` answers ``error=access_denied``; otherwise an HTML page with Approve / Deny buttons."""
    redirect_uri, state = form.get("redirect_uri", ""), form.get("state", "")
    user = form.get("sandbox_user") or "alice"
    sep = "&" if "?" in redirect_uri else "?"
    if form.get("deny") == "1":
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode({'error': 'access_denied', 'state': state})}", 302)
    if request.method == "POST" or form.get("auto") == "1":
        code = issue(user)
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode({'code': code, 'state': state})}", 302)
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in form.items()
        if k not in ("sandbox_user",)
    )
    page = f"""<!doctype html><html><head><title>{html.escape(title)}</title></head><body>
<h1>{html.escape(title)} (sandbox)</h1>
<p>Lily asks for: <code>{html.escape(form.get("scope", ""))}</code></p>
<form method="post">{hidden}
<label>Sandbox user <input name="sandbox_user" value="{html.escape(user)}"></label>
<button type="submit">Approve</button></form>
<p><a href="{html.escape(redirect_uri + sep + urlencode({"error": "access_denied", "state": state}))}">Deny</a></p>
</body></html>"""
    return HTMLResponse(page)
