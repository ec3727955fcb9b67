"""Golden path over HTTP in local mode: sign up, connect X (sandbox OAuth), create a post, schedule it a
minute ahead, fire the dispatcher, and see it published on the X sandbox with its URL stored."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import httpx

from tests.support.identity import create_org, register_user


def _connect_x(client: httpx.Client, headers: dict, org_id: str) -> tuple[str, str]:
    r = client.post(f"/api/orgs/{org_id}/social/connect/x", headers=headers)
    assert r.status_code == 201, r.text
    authorize_url = r.json()["authorize_url"]
    sandbox = f"{urlparse(authorize_url).scheme}://{urlparse(authorize_url).netloc}"
    approved = httpx.get(f"{authorize_url}&{urlencode({'auto': '1', 'sandbox_user': 'alice'})}", timeout=5)
    assert approved.status_code == 302, approved.text
    loc = urlparse(approved.headers["location"])
    r = client.get(f"{loc.path}?{loc.query}")
    assert r.status_code == 200, r.text
    body = r.json()
    conn = (body.get("connections") or [body.get("connection")])[0]
    assert parse_qs(loc.query).get("code")
    return conn["connection_id"], sandbox


def test_scheduled_post_is_published_on_the_sandbox(local_mode):
    client = local_mode.client
    user = register_user(client)
    org_id = create_org(client, user["headers"])
    headers = user["headers"]
    connection_id, sandbox = _connect_x(client, headers, org_id)

    # Given a draft for that account
    r = client.post(f"/api/orgs/{org_id}/posts", headers={**headers, "Idempotency-Key": "golden-1"},
                    json={"text": f"Hello from Lily {time.time():.0f}", "targets": [{"connection_id": connection_id}]})
    assert r.status_code == 201, r.text
    post_id = r.json()["post_id"]
    # When it is scheduled a minute ahead, in a time zone
    at = (datetime.now(UTC) + timedelta(seconds=60)).astimezone().replace(microsecond=0)
    r = client.post(f"/api/orgs/{org_id}/posts/{post_id}/schedule", headers=headers,
                    json={"scheduled_at": at.isoformat(), "timezone": "UTC"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "scheduled"
    # And the dispatcher ticks (as it does every minute)
    assert client.post("/_local/schedules/dispatcher/fire").status_code == 200
    # Then within the tick the target is published, with its platform URL
    deadline = time.monotonic() + 85
    target = None
    while time.monotonic() < deadline:
        got = client.get(f"/api/orgs/{org_id}/posts/{post_id}", headers=headers).json()
        target = got["targets"][0]
        if target["state"] in ("published", "failed"):
            break
        time.sleep(1)
    assert target and target["state"] == "published", (target, local_mode.output())
    assert target["platform_url"] and target["platform_post_id"]
    published = datetime.fromisoformat(target["published_at"].replace("Z", "+00:00"))
    assert published >= at
    posts = httpx.get(f"{sandbox}/_sandbox/posts", timeout=5).json()
    assert [p["id"] for p in posts if not p.get("deleted")] == [target["platform_post_id"]]
    assert got["status"] == "published"
