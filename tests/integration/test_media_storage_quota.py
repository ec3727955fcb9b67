"""Media storage is a plan quota: uploads reserve their size, over the plan's bytes they are refused with the
limit, and deleting a medium gives its bytes back."""

from __future__ import annotations

import httpx

from lily.billing.plans import MEDIA_STORAGE, PLANS
from tests.support.identity import create_org, register_user

MB = 1024 * 1024


def _upload(http, org_id, headers, size):
    return http.post(f"/api/orgs/{org_id}/media/uploads", headers=headers,
                     json={"filename": "clip.mp4", "content_type": "video/mp4", "size": size, "platforms": ["x"]})


def test_uploads_stop_at_the_plans_storage_and_deleting_media_gives_it_back(http, lily_env):
    owner = register_user(http)
    org_id, headers = create_org(http, owner["headers"], "Media"), owner["headers"]
    limit = PLANS["free"].limit("media_storage_bytes")
    assert limit == MEDIA_STORAGE["free"] == 256 * MB
    # Given a free organization that stored 200 MB
    first = _upload(http, org_id, headers, 200 * MB)
    assert first.status_code == 201, first.text
    media_id = first.json()["media_id"]
    # When it uploads 100 MB more, past its 256 MB
    r = _upload(http, org_id, headers, 100 * MB)
    # Then the upload is refused with the limit, the usage and the plan that lifts it, and nothing is recorded
    assert r.status_code == 429, r.text
    error = r.json()["error"]
    assert error["code"] == "PLAN_002"
    assert error["details"] | {"limit": limit, "used": 200 * MB, "requested": 100 * MB} == error["details"]
    assert error["details"]["quota"] == "media_storage_bytes" and error["details"]["upgrade_to"] == "starter"
    usage = {u["quota"]: u["used"] for u in http.get(f"/api/orgs/{org_id}/usage", headers=headers).json()}
    assert usage["media_storage_bytes"] == 200 * MB
    # When the first medium is deleted, its bytes are free again (and it is gone)
    assert http.delete(f"/api/orgs/{org_id}/media/{media_id}", headers=headers).status_code == 204
    assert http.get(f"/api/orgs/{org_id}/media/{media_id}", headers=headers).status_code == 404
    assert http.delete(f"/api/orgs/{org_id}/media/{media_id}", headers=headers).status_code == 404
    usage = {u["quota"]: u["used"] for u in http.get(f"/api/orgs/{org_id}/usage", headers=headers).json()}
    assert usage["media_storage_bytes"] == 0
    assert _upload(http, org_id, headers, 100 * MB).status_code == 201


def test_deleting_an_uploaded_medium_deletes_its_object(http, lily_env):
    owner = register_user(http)
    org_id, headers = create_org(http, owner["headers"], "Media"), owner["headers"]
    r = http.post(f"/api/orgs/{org_id}/media/uploads", headers=headers,
                  json={"filename": "cat.png", "content_type": "image/png", "size": 1000, "platforms": ["x"]})
    upload = r.json()
    sent = httpx.post(upload["url"], data=upload["fields"],
                      files={"file": ("cat.png", b"\x89PNG" + b"0" * 996, "image/png")})
    assert sent.status_code in (200, 201, 204), sent.text
    from lily.core.aws import client
    from lily.core.resources import bucket_name

    key = upload["fields"]["key"]
    assert client("s3").head_object(Bucket=bucket_name("media"), Key=key)["ContentLength"] == 1000
    assert http.delete(f"/api/orgs/{org_id}/media/{upload['media_id']}", headers=headers).status_code == 204
    listed = client("s3").list_objects_v2(Bucket=bucket_name("media"), Prefix=key).get("KeyCount", 0)
    assert listed == 0
