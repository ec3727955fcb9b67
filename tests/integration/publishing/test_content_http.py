"""The content library over HTTP: drafts, idempotency, filters and cursors, scheduling rules, media uploads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from lily.core import clock, ids
from lily.social.models import SocialConnection
from tests.support.billing import set_plan
from tests.support.identity import add_member, create_org, make_super_admin, register_user


def _connection(org_id: str, platform: str = "x") -> str:
    conn_id = ids.new_id("soc")
    now = clock.now()
    SocialConnection(org_id, conn_id, platform=platform, account_id=f"acct-{conn_id}", account_kind="user",
                     account_name="Test account", access_envelope="sealed", grant_id="grant", created_by="usr_test",
                     created_at=now, updated_at=now).save()
    return conn_id


@pytest.fixture
def org(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    set_plan(org_id, "pro")
    return {"id": org_id, "headers": owner["headers"], "x": _connection(org_id, "x"),
            "linkedin": _connection(org_id, "linkedin"), "owner": owner}


def _post(http, org, text="Hello", targets=None, key=None):
    headers = dict(org["headers"], **({"Idempotency-Key": key} if key else {}))
    body = {"text": text, "targets": [{"connection_id": c} for c in (targets or [org["x"]])]}
    return http.post(f"/api/orgs/{org['id']}/posts", json=body, headers=headers)


def _used(http, org, quota: str) -> int:
    usage = http.get(f"/api/orgs/{org['id']}/usage", headers=org["headers"]).json()
    return next(u["used"] for u in usage if u["quota"] == quota)


def _in(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def test_same_idempotency_key_same_answer_other_body_409(http, org):
    first = _post(http, org, "Launch day", key="k-1")
    assert first.status_code == 201, first.text
    again = _post(http, org, "Launch day", key="k-1")
    assert again.status_code == 201 and again.json()["post_id"] == first.json()["post_id"]
    assert again.headers.get("idempotent-replayed") == "true"
    other = _post(http, org, "Something else", key="k-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "VALIDATION_003"
    listed = http.get(f"/api/orgs/{org['id']}/posts", headers=org["headers"]).json()["items"]
    assert [p["post_id"] for p in listed] == [first.json()["post_id"]]


def test_schedule_is_idempotent_and_consumes_the_daily_quota_once(http, org):
    post_id = _post(http, org).json()["post_id"]
    url = f"/api/orgs/{org['id']}/posts/{post_id}/schedule"
    headers = dict(org["headers"], **{"Idempotency-Key": "s-1"})
    body = {"scheduled_at": _in(30), "timezone": "Europe/Paris"}
    a = http.post(url, json=body, headers=headers)
    b = http.post(url, json=body, headers=headers)
    assert a.status_code == b.status_code == 200, (a.text, b.text)
    assert b.headers.get("idempotent-replayed") == "true" and a.json() == b.json()
    assert http.post(url, json=dict(body, scheduled_at=_in(45)), headers=headers).status_code == 409
    assert _used(http, org, "posts_per_day") == 1
    # Cancelling gives it back
    r = http.post(f"/api/orgs/{org['id']}/posts/{post_id}/cancel", headers=org["headers"])
    assert r.status_code == 200, r.text
    assert _used(http, org, "posts_per_day") == 0


def test_library_filters_and_cursor_pagination(http, org):
    made = [_post(http, org, f"Post {i}", targets=[org["x"] if i % 2 else org["linkedin"]]).json()["post_id"]
            for i in range(5)]
    scheduled = made[0]
    assert http.post(f"/api/orgs/{org['id']}/posts/{scheduled}/schedule", json={"scheduled_at": _in(90)},
                     headers=org["headers"]).status_code == 200
    base = f"/api/orgs/{org['id']}/posts"
    seen, cursor = [], None
    while True:
        page = http.get(base, params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                        headers=org["headers"]).json()
        assert len(page["items"]) <= 2
        seen += [p["post_id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    only_scheduled = http.get(base, params={"status": "scheduled"}, headers=org["headers"]).json()["items"]
    assert [p["post_id"] for p in only_scheduled] == [scheduled]
    linkedin = http.get(base, params={"platform": "linkedin"}, headers=org["headers"]).json()["items"]
    assert sorted(p["post_id"] for p in linkedin) == sorted(made[0::2])
    bad = http.get(base, params={"status": "nonsense"}, headers=org["headers"])
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_001"
    bad_cursor = http.get(base, params={"cursor": "garbage"}, headers=org["headers"])
    assert 400 <= bad_cursor.status_code < 500


def test_scheduling_validates_each_target_against_its_platform(http, org):
    post_id = _post(http, org, "x" * 281).json()["post_id"]
    r = http.post(f"/api/orgs/{org['id']}/posts/{post_id}/schedule", json={"scheduled_at": _in(10)},
                  headers=org["headers"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "CONTENT_001"
    assert "280" in r.text
    # A time in the past or an unknown zone is a clear 4xx, never a 500
    post_id = _post(http, org, "fine").json()["post_id"]
    url = f"/api/orgs/{org['id']}/posts/{post_id}/schedule"
    assert http.post(url, json={"scheduled_at": _in(-10)}, headers=org["headers"]).status_code == 422
    assert http.post(url, json={"scheduled_at": _in(10), "timezone": "Mars/Olympus"},
                     headers=org["headers"]).status_code == 422


def test_free_plan_schedules_one_post_a_day(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    org = {"id": org_id, "headers": owner["headers"], "x": _connection(org_id)}
    first, second = _post(http, org).json()["post_id"], _post(http, org).json()["post_id"]
    assert http.post(f"/api/orgs/{org_id}/posts/{first}/schedule", json={"scheduled_at": _in(10)},
                     headers=owner["headers"]).status_code == 200
    r = http.post(f"/api/orgs/{org_id}/posts/{second}/schedule", json={"scheduled_at": _in(10)},
                  headers=owner["headers"])
    assert r.status_code == 429
    details = r.json()["error"]["details"]
    assert (details["quota"], details["limit"], details["upgrade_to"]) == ("posts_per_day", 1, "starter")
    assert "retry-after" in r.headers


def test_viewers_read_but_do_not_write(http, org):
    viewer = add_member(http, org["headers"], org["id"], "viewer")
    post_id = _post(http, org).json()["post_id"]
    assert http.get(f"/api/orgs/{org['id']}/posts/{post_id}", headers=viewer["headers"]).status_code == 200
    r = http.post(f"/api/orgs/{org['id']}/posts", json={"text": "x"}, headers=viewer["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003"


def test_unknown_connection_is_refused(http, org):
    r = _post(http, org, targets=[ids.new_id("soc")])
    assert (r.status_code, r.json()["error"]["code"]) == (404, "VALIDATION_004"), r.text


def test_media_upload_is_presigned_and_enforces_type_and_size(http, org, lily_env):
    url = f"/api/orgs/{org['id']}/media/uploads"
    r = http.post(url, json={"filename": "cat.png", "content_type": "image/png", "size": 1000, "platforms": ["x"]},
                  headers=org["headers"])
    assert r.status_code == 201, r.text
    upload = r.json()
    # The presigned POST accepts the declared file ...
    ok = httpx.post(upload["url"], data=upload["fields"], files={"file": ("cat.png", b"\x89PNG" + b"0" * 996,
                                                                           "image/png")})
    assert ok.status_code in (200, 201, 204), ok.text
    media = http.get(f"/api/orgs/{org['id']}/media/{upload['media_id']}", headers=org["headers"])
    assert media.status_code == 200
    # ... a type no platform takes, or a size over the platform limit, is refused before any upload
    r = http.post(url, json={"filename": "x.exe", "content_type": "application/x-msdownload", "size": 10},
                  headers=org["headers"])
    assert (r.status_code, r.json()["error"]["code"]) == (422, "VALIDATION_001"), r.text  # not in the enum
    r = http.post(url, json={"filename": "big.png", "content_type": "image/png", "size": 10**10, "platforms": ["x"]},
                  headers=org["headers"])
    assert (r.status_code, r.json()["error"]["code"]) == (413, "VALIDATION_005"), r.text


def test_media_answer_carries_a_short_lived_download_url_of_its_bytes(http, org, lily_env):
    # Given an uploaded image
    r = http.post(f"/api/orgs/{org['id']}/media/uploads", headers=org["headers"],
                  json={"filename": "dog.png", "content_type": "image/png", "size": 1000, "platforms": ["x"]})
    upload = r.json()
    body = b"\x89PNG" + bytes(range(256)) * 3 + b"1" * 228
    assert httpx.post(upload["url"], data=upload["fields"], files={"file": ("dog.png", body, "image/png")}
                      ).status_code in (200, 201, 204)
    # When the medium is read through the API
    media = http.get(f"/api/orgs/{org['id']}/media/{upload['media_id']}", headers=org["headers"]).json()
    # Then it carries a presigned GET that answers exactly those bytes, and says when it stops working
    got = httpx.get(media["download_url"])
    assert got.status_code == 200 and got.content == body
    assert "Signature" in media["download_url"] or "X-Amz-Signature" in media["download_url"]
    expires = datetime.fromisoformat(media["download_expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=1) <= expires - datetime.now(UTC) <= timedelta(hours=1, minutes=1)
    # And another organization's member cannot get it (nor its URL)
    stranger = register_user(http)
    other = create_org(http, stranger["headers"], "Other")
    r = http.get(f"/api/orgs/{other}/media/{upload['media_id']}", headers=stranger["headers"])
    assert r.status_code == 404


def test_an_upload_named_like_an_image_job_is_not_a_generated_image(http, org, lily_env):
    from lily.publishing.analytics_targets import GeneratedMediaOfOrg

    r = http.post(f"/api/orgs/{org['id']}/media/uploads", headers=org["headers"],
                  json={"filename": "imgjob_x.png", "content_type": "image/png", "size": 10, "platforms": ["x"]})
    upload = r.json()
    body = b"\x89PNG" + b"0" * 6
    sent = httpx.post(upload["url"], data=upload["fields"], files={"file": ("imgjob_x.png", body, "image/png")})
    assert sent.status_code in (200, 201, 204)
    media = http.get(f"/api/orgs/{org['id']}/media/{upload['media_id']}", headers=org["headers"]).json()
    assert media["filename"] == "imgjob_x.png" and media["generated"] is False
    # analytics' AI-image mark reads the attribute only lily.images sets: the upload does not count
    assert GeneratedMediaOfOrg().generated(org["id"], [upload["media_id"]]) == set()


def test_a_mediums_alt_text_is_edited_and_removed_by_an_editor(http, org, lily_env):
    r = http.post(f"/api/orgs/{org['id']}/media/uploads", headers=org["headers"],
                  json={"filename": "cat.png", "content_type": "image/png", "size": 10, "platforms": ["x"]})
    url = f"/api/orgs/{org['id']}/media/{r.json()['media_id']}"
    # An editor sets it
    r = http.patch(url, json={"alt_text": "  A grey cat asleep on a keyboard "}, headers=org["headers"])
    assert r.status_code == 200 and r.json()["alt_text"] == "A grey cat asleep on a keyboard", r.text
    assert http.get(url, headers=org["headers"]).json()["alt_text"] == "A grey cat asleep on a keyboard"
    # Too long, or an unknown field, is invalid input; null removes it
    r = http.patch(url, json={"alt_text": "x" * 1001}, headers=org["headers"])
    assert (r.status_code, r.json()["error"]["code"]) == (422, "VALIDATION_001")
    assert http.patch(url, json={"alt_text": "a", "size": 1}, headers=org["headers"]).status_code == 422
    assert http.patch(url, json={"alt_text": None}, headers=org["headers"]).json()["alt_text"] is None
    # A viewer cannot; an unknown medium is a 404
    viewer = add_member(http, org["headers"], org["id"], "viewer")
    assert http.patch(url, json={"alt_text": "b"}, headers=viewer["headers"]).status_code == 403
    r = http.patch(f"/api/orgs/{org['id']}/media/{ids.new_id('med')}", json={"alt_text": "b"},
                   headers=org["headers"])
    assert (r.status_code, r.json()["error"]["code"]) == (404, "VALIDATION_004")


def test_dlq_requeue_over_http_is_admin_only_and_safe(http, org, lily_env):
    import json

    from lily.core.aws import client
    from lily.publishing import dlq

    # A platform admin granted by the operator command; an org owner is not a platform admin.
    admin = make_super_admin(http, org["owner"])
    stranger = register_user(http)
    assert http.get("/api/admin/publishing/dlq", headers=stranger["headers"]).status_code == 403
    # Given a DLQ holding a message for a target that no longer exists and an unreadable one
    body = {"org_id": org["id"], "post_id": ids.new_id("post"), "target_id": ids.new_id("tgt"),
            "dispatch_id": ids.new_id("dsp"), "reason": "schedule"}
    sqs = client("sqs")
    sqs.send_message(QueueUrl=dlq.dlq_url(), MessageBody=json.dumps(body))
    sqs.send_message(QueueUrl=dlq.dlq_url(), MessageBody="{broken")
    depth = http.get("/api/admin/publishing/dlq", headers=admin["headers"])
    assert depth.status_code == 200 and depth.json()["approximate_messages"] == 2
    # When an admin re-queues, nothing is published twice: the gone target is dropped, the unreadable kept
    r = http.post("/api/admin/publishing/dlq/requeue", headers=admin["headers"])
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["requeued"] == [] and out["kept"] == 1
    assert out["dropped"] == [{"target_id": body["target_id"], "reason": "target gone"}]
    assert http.post("/api/admin/publishing/dlq/requeue", params={"max_messages": 0},
                     headers=admin["headers"]).status_code == 422
