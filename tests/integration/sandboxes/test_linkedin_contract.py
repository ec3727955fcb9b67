"""The LinkedIn sandbox against the request/response shapes of the facts sheet (§3): active LinkedIn-Version
values only, the restricted scope for reading member posts, X-Restli-Protocol-Version where it is required."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, quote, urlparse

import httpx
import pytest

from lily.core import clock
from lily.local.sandboxes.linkedin import CLIENT_ID

WRITE = ["openid", "profile", "w_member_social", "w_organization_social", "r_organization_social",
         "rw_organization_admin"]


def month(offset: int = 0) -> str:
    now = clock.now()
    index = now.year * 12 + now.month - 1 + offset
    return f"{index // 12:04d}{index % 12 + 1:02d}"


@pytest.fixture
def li(linkedin_sandbox):
    yield linkedin_sandbox
    clock.reset()


def grant(sandbox, scopes: list[str], user: str = "dave") -> dict[str, str]:
    token = sandbox.state.issue_tokens(user, CLIENT_ID, scopes, 5184000)["access_token"]
    return {"Authorization": f"Bearer {token}", "LinkedIn-Version": month(-1), "X-Restli-Protocol-Version": "2.0.0"}


def author(sandbox, headers: dict) -> str:
    sub = httpx.get(f"{sandbox.base_url}/v2/userinfo", headers=headers).json()["sub"]
    return f"urn:li:person:{sub}"


def create(sandbox, headers: dict, urn: str, text: str) -> httpx.Response:
    return httpx.post(f"{sandbox.base_url}/rest/posts", headers=headers, json={
        "author": urn, "commentary": text, "visibility": "PUBLIC", "lifecycleState": "PUBLISHED",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "isReshareDisabledByAuthor": False})


def test_only_active_yyyymm_versions_are_accepted(li):
    headers = grant(li, WRITE)
    url = f"{li.base_url}/rest/organizationAcls?q=roleAssignee"

    def answer(version: str | None) -> tuple[int, str | None]:
        h = {k: v for k, v in headers.items() if k != "LinkedIn-Version"}
        if version is not None:
            h["LinkedIn-Version"] = version
        r = httpx.get(url, headers=h)
        return r.status_code, r.json().get("code") if r.status_code != 200 else None

    assert answer(month()) == (200, None)
    assert answer(month(-11)) == (200, None)
    assert answer(month(-3) + ".01") == (200, None)
    for stale_or_bad in (month(-12), month(-30), month(1), "latest", "2026-01", "202613", "20260", "v2"):
        assert answer(stale_or_bad) == (426, "NONEXISTENT_VERSION"), stale_or_bad
    assert answer(None) == (400, "VERSION_MISSING")
    body = httpx.get(url, headers={**headers, "LinkedIn-Version": "202001"}).json()
    assert body == {"status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version 202001 is not active"}
    clock.advance(400 * 86400)  # a version ages out of the window
    assert answer(month(-13)) == (426, "NONEXISTENT_VERSION")


def test_member_posts_need_the_restricted_scope(li):
    writer = grant(li, WRITE)
    me = author(li, writer)
    created = create(li, writer, me, "a member post")
    assert created.status_code == 201 and created.headers["x-restli-id"].startswith("urn:li:share:")
    urn = created.headers["x-restli-id"]
    finder = f"{li.base_url}/rest/posts?q=author&author={quote(me, safe='')}&count=10"
    one = f"{li.base_url}/rest/posts/{quote(urn, safe='')}"
    assert httpx.get(finder, headers=writer).status_code == 403
    assert httpx.get(one, headers=writer).status_code == 403
    reader = grant(li, [*WRITE, "r_member_social"])
    assert [p["id"] for p in httpx.get(finder, headers=reader).json()["elements"]] == [urn]
    assert httpx.get(one, headers=reader).json()["commentary"] == "a member post"


def test_the_restricted_scope_is_refused_to_an_unapproved_app(li):
    def authorize(scope: str) -> dict:
        r = httpx.get(f"{li.base_url}/oauth/v2/authorization", params={
            "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": "https://lily.example/cb",
            "state": "s1", "scope": scope, "auto": "1"})
        assert r.status_code == 302
        return {k: v[0] for k, v in parse_qs(urlparse(r.headers["location"]).query).items()}

    assert authorize("openid w_member_social r_member_social")["error"] == "unauthorized_scope_error"
    assert "code" in authorize("openid w_member_social")
    li.state.config["member_read"] = True  # the app was approved for it
    assert "code" in authorize("openid w_member_social r_member_social")


def test_finders_and_the_posts_api_require_the_restli_protocol_header(li):
    headers = grant(li, [*WRITE, "r_member_social"])
    no_restli = {k: v for k, v in headers.items() if k != "X-Restli-Protocol-Version"}
    me = author(li, headers)
    refused = create(li, no_restli, me, "no protocol header")
    assert refused.status_code == 400 and "X-Restli-Protocol-Version" in refused.json()["message"]
    assert httpx.get(f"{li.base_url}/rest/organizationAcls?q=roleAssignee", headers=no_restli).status_code == 400
    assert li.state.posts == {}
    assert create(li, headers, me, "with it").status_code == 201
    org = httpx.get(f"{li.base_url}/rest/organizationAcls?q=roleAssignee", headers=headers).json()["elements"][0]
    org_id = org["organization"].rsplit(":", 1)[-1]
    assert httpx.get(f"{li.base_url}/rest/organizations/{org_id}", headers=no_restli).status_code == 200  # a GET


def test_version_window_follows_the_sandbox_clock(li):
    headers = grant(li, WRITE)
    with clock.freeze(datetime(2026, 3, 15, tzinfo=UTC)):
        ok = httpx.get(f"{li.base_url}/rest/organizationAcls?q=roleAssignee",
                       headers={**headers, "LinkedIn-Version": "202504"})
        gone = httpx.get(f"{li.base_url}/rest/organizationAcls?q=roleAssignee",
                         headers={**headers, "LinkedIn-Version": "202503"})
    assert (ok.status_code, gone.status_code) == (200, 426)
