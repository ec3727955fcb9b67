"""Golden path in local mode over HTTP: register → org → plan → brand → generate for X and LinkedIn (the real
openai client against the OpenAI-compatible sandbox) → save → schedule → published on the X and LinkedIn
sandboxes. Prints one generation's latency beside the sandbox's own processing time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlparse

import httpx

from lily.social.platforms.linkedin import escape_little_text
from tests.support.identity import create_org, register_user


def _connect(client: httpx.Client, headers: dict, org_id: str, platform: str) -> tuple[str, str]:
    r = client.post(f"/api/orgs/{org_id}/social/connect/{platform}", headers=headers)
    assert r.status_code == 201, r.text
    authorize_url = r.json()["authorize_url"]
    sandbox = f"{urlparse(authorize_url).scheme}://{urlparse(authorize_url).netloc}"
    approved = httpx.get(f"{authorize_url}&{urlencode({'auto': '1', 'sandbox_user': 'alice'})}", timeout=5)
    assert approved.status_code == 302, approved.text
    loc = urlparse(approved.headers["location"])
    body = client.get(f"{loc.path}?{loc.query}").json()
    if body.get("status") == "select_account":
        member = next(a["account_id"] for a in body["accounts"] if a.get("kind") == "member")
        r = client.post(f"/api/orgs/{org_id}/social/selections/{body['selection_id']}", headers=headers,
                        json={"account_ids": [member]})
        assert r.status_code == 200, r.text
        body = r.json()
    conn = (body.get("connections") or [body.get("connection")])[0]
    return conn["connection_id"], sandbox


def _upgrade(client: httpx.Client, headers: dict, org_id: str, plan_id: str) -> None:
    r = client.post(f"/api/orgs/{org_id}/billing/checkout", json={"plan_id": plan_id, "interval": "month"},
                    headers=headers)
    assert r.status_code == 201, r.text
    assert httpx.get(r.json()["url"], timeout=10).status_code == 200  # opening the sandbox's URL pays
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.get(f"/api/orgs/{org_id}/entitlements", headers=headers).json()["plan_id"] == plan_id:
            return
        time.sleep(0.3)
    raise AssertionError("the plan did not change")


def test_generated_drafts_are_saved_scheduled_and_published(local_mode):
    client = local_mode.client
    user = register_user(client)
    headers = user["headers"]
    org_id = create_org(client, headers)
    _upgrade(client, headers, org_id, "starter")  # two connected profiles
    x_conn, x_sandbox = _connect(client, headers, org_id, "x")
    li_conn, li_sandbox = _connect(client, headers, org_id, "linkedin")
    r = client.put(f"/api/orgs/{org_id}/brand", headers=headers, json={
        "tone": "casual", "industry": "coffee roasting", "audience": "home baristas",
        "keywords": ["espresso", "grind size"], "banned_words": ["cheap"], "default_hashtags": ["#HomeBarista"]})
    assert r.status_code == 200, r.text

    # When drafts are generated for X and LinkedIn (timed)
    started = time.perf_counter()
    r = client.post(f"/api/orgs/{org_id}/content/generate", headers=headers,
                    json={"topic": "dialing in espresso at home", "platforms": ["x", "linkedin"], "n": 2},
                    timeout=30)
    wall_ms = (time.perf_counter() - started) * 1000
    assert r.status_code == 201, r.text
    gen = r.json()
    print(f"\nlocal-mode generation (first, cold): HTTP {wall_ms:.0f} ms; provider call as Lily measured it "
          f"{gen['latency_ms']:.1f} ms; sandbox's own openai-processing-ms {gen['provider_ms']:.0f} ms")
    started = time.perf_counter()
    warm = client.post(f"/api/orgs/{org_id}/content/generate", headers=headers,
                       json={"topic": "milk steaming basics", "platforms": ["x", "linkedin"], "n": 2}).json()
    print(f"local-mode generation (warm): HTTP {(time.perf_counter() - started) * 1000:.0f} ms; provider call "
          f"{warm['latency_ms']:.1f} ms; sandbox's own openai-processing-ms {warm['provider_ms']:.0f} ms")
    drafts = {d["platform"]: d for d in gen["drafts"] if d["alternative"] == 0}
    assert set(drafts) == {"x", "linkedin"} and all(d["schedulable"] for d in drafts.values())

    # And saved as one post, scheduled a minute ahead
    r = client.post(f"/api/orgs/{org_id}/content/drafts/save", headers=headers,
                    json={"draft_ids": [drafts["x"]["draft_id"], drafts["linkedin"]["draft_id"]],
                          "connections": {"x": x_conn, "linkedin": li_conn}})
    assert r.status_code == 201, r.text
    post_id = r.json()["post_id"]
    at = (datetime.now(UTC) + timedelta(seconds=60)).replace(microsecond=0)
    r = client.post(f"/api/orgs/{org_id}/posts/{post_id}/schedule", headers=headers,
                    json={"scheduled_at": at.isoformat(), "timezone": "UTC"})
    assert r.status_code == 200, r.text
    assert client.post("/_local/schedules/dispatcher/fire").status_code == 200

    # Then both targets are published on their sandboxes with the generated text
    deadline = time.monotonic() + 100
    post = None
    while time.monotonic() < deadline:
        post = client.get(f"/api/orgs/{org_id}/posts/{post_id}", headers=headers).json()
        if all(t["state"] in ("published", "failed") for t in post["targets"]):
            break
        time.sleep(1)
    assert post and [t["state"] for t in post["targets"]] == ["published", "published"], (post, local_mode.output())
    x_posts = httpx.get(f"{x_sandbox}/_sandbox/posts", timeout=5).json()
    assert [p["text"] for p in x_posts] == [drafts["x"]["parts"][0]]
    li_posts = httpx.get(f"{li_sandbox}/_sandbox/posts", timeout=5).json()
    assert [p.get("commentary") for p in li_posts] == [escape_little_text(drafts["linkedin"]["parts"][0])]
    assert client.get(f"/api/orgs/{org_id}/content/drafts/{drafts['x']['draft_id']}",
                      headers=headers).json()["status"] == "saved"
