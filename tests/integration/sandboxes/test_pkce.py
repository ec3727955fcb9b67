"""Every platform sandbox checks PKCE as RFC 7636 says the platform does: a code issued for a ``code_challenge``
is exchanged only with the ``code_verifier`` it was made from (S256: BASE64URL(SHA256(verifier))).

Lily sends PKCE to X and Meta; LinkedIn offers it only to native apps on loopback redirects (docs/social.md),
and its sandbox still checks a challenge it is sent, so the three behave the same way here.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from lily.local.sandboxes import linkedin as li_sandbox
from lily.local.sandboxes import meta as meta_sandbox
from lily.local.sandboxes import x as x_sandbox_module
from lily.local.secret_values import SOCIAL_APP_SECRETS

REDIRECT = "https://lily.example/api/social/callback/p"


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorize(base: str, path: str, client_id: str, challenge: str, scope: str) -> str:
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s" * 32,
             "scope": scope, "code_challenge": challenge, "code_challenge_method": "S256", "auto": "1"}
    r = httpx.get(f"{base}{path}?{urlencode(query)}", follow_redirects=False, timeout=5)
    assert r.status_code == 302, r.text
    return parse_qs(urlparse(r.headers["location"]).query)["code"][0]


def exchange_x(base: str, code: str, verifier: str | None) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        form["code_verifier"] = verifier
    return httpx.post(f"{base}/2/oauth2/token", data=form, timeout=5,
                      auth=(x_sandbox_module.CLIENT_ID, SOCIAL_APP_SECRETS["x_client_secret"]))


def exchange_meta(base: str, code: str, verifier: str | None) -> httpx.Response:
    params = {"client_id": meta_sandbox.APP_ID, "client_secret": SOCIAL_APP_SECRETS["meta_app_secret"],
              "redirect_uri": REDIRECT, "code": code}
    if verifier is not None:
        params["code_verifier"] = verifier
    return httpx.get(f"{base}/v21.0/oauth/access_token", params=params, timeout=5)


def exchange_linkedin(base: str, code: str, verifier: str | None) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": li_sandbox.CLIENT_ID, "client_secret": SOCIAL_APP_SECRETS["linkedin_client_secret"]}
    if verifier is not None:
        form["code_verifier"] = verifier
    return httpx.post(f"{base}/oauth/v2/accessToken", data=form, timeout=5)


PLATFORMS = {
    "x": ("/i/oauth2/authorize", x_sandbox_module.CLIENT_ID, "tweet.read users.read", exchange_x),
    "meta": ("/v21.0/dialog/oauth", meta_sandbox.APP_ID, "pages_show_list", exchange_meta),
    "linkedin": ("/oauth/v2/authorization", li_sandbox.CLIENT_ID, "openid profile", exchange_linkedin),
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_code_is_exchanged_only_with_the_verifier_of_its_challenge(platform, platform_sandboxes):
    sandbox = platform_sandboxes[platform]
    sandbox.state.reset()
    base = sandbox.base_url.rstrip("/")
    path, client_id, scope, exchange = PLATFORMS[platform]
    verifier = secrets.token_urlsafe(48)
    # Given codes issued for the S256 challenge of a verifier
    # When the exchange presents another well-formed verifier, or none, or the challenge itself
    for wrong in (secrets.token_urlsafe(48), None, challenge_of(verifier)):
        code = authorize(base, path, client_id, challenge_of(verifier), scope)
        refused = exchange(base, code, wrong)
        # Then the platform refuses it, and the code is spent (single use, valid or not)
        assert refused.status_code in (400, 401), (wrong, refused.text)
        assert "access_token" not in refused.text
        assert exchange(base, code, verifier).status_code == 400
    # And the verifier the challenge was made from gets the token
    code = authorize(base, path, client_id, challenge_of(verifier), scope)
    accepted = exchange(base, code, verifier)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["access_token"]
    sandbox.state.reset()
