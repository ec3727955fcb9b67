"""The three platform sandboxes, started once per test process, pointed at by Lily's adapters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from tests.support.billing import set_plan  # noqa: F401 - re-exported for the social tests
from tests.support.sandboxes import reset_between, running_sandboxes


@pytest.fixture(scope="session", autouse=True)
def social_sandboxes():
    tuning = {"LILY_SOCIAL_LINKEDIN_MIN_INTERVAL_S": "0", "LILY_SOCIAL_HTTP_TIMEOUT_S": "6"}
    with running_sandboxes(["x", "meta", "linkedin"], tuning) as started:
        yield started


@pytest.fixture
def sandboxes(social_sandboxes):
    """The sandboxes, reset for this test: ``sandboxes["x"].state`` / ``.base_url``."""
    with reset_between(social_sandboxes) as started:
        yield started


def approve(authorize_url: str, user: str = "alice") -> dict[str, str]:
    """Play the user approving at the platform; returns the redirect's ``path``, ``code`` and ``state``."""
    r = httpx.get(
        f"{authorize_url}&{urlencode({'auto': '1', 'sandbox_user': user})}", follow_redirects=False, timeout=5
    )
    assert r.status_code == 302, r.text
    loc = urlparse(r.headers["location"])
    q = {k: v[0] for k, v in parse_qs(loc.query).items()}
    return {"path": loc.path, "query": loc.query, "location": r.headers["location"], **q}


def connect(http, headers: dict, org_id: str, platform: str, user: str = "alice", choose: str | list | None = "all"):
    """Connect through the real flow: connect → platform approval → public callback (→ selection)."""
    r = http.post(f"/api/orgs/{org_id}/social/connect/{platform}", headers=headers)
    assert r.status_code == 201, r.text
    redirect = approve(r.json()["authorize_url"], user)
    r = http.get(f"{redirect['path']}?{redirect['query']}")
    assert r.status_code == 200, r.text
    body = r.json()
    if body["status"] == "select_account" and choose:
        ids = [a["account_id"] for a in body["accounts"]] if choose == "all" else list(choose)
        r = http.post(
            f"/api/orgs/{org_id}/social/selections/{body['selection_id']}", json={"account_ids": ids}, headers=headers
        )
        assert r.status_code == 200, r.text
        body = r.json()
    return body
