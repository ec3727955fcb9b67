"""Free images without quota (issue 25 security 1): a free org reserved its 256 MiB with an upload it never sent,
then every image job generated (a paid provider call), failed at storage and handed its unit back. Now storage is
checked before anything is paid for, upload reservations expire, a unit comes back only when no provider call was
paid for, and the calls' cost is in ``ai_usage`` either way."""

from __future__ import annotations

from datetime import timedelta

import httpx

from lily.ai.models import AIUsage
from lily.billing.plans import MEDIA_STORAGE
from lily.core import clock
from lily.publishing.models import Media
from lily.publishing.settings import publishing_settings
from tests.integration.images.conftest import run_job, submit

MIB = 1024 * 1024


def reserve_all_storage(http, owner) -> str:
    r = http.post(f"/api/orgs/{owner['org_id']}/media/uploads", headers=owner["headers"],
                  json={"filename": "never-sent.mp4", "content_type": "video/mp4",
                        "size": MEDIA_STORAGE["free"] - MIB, "platforms": ["facebook"]})
    assert r.status_code == 201, r.text
    return r.json()["media_id"]


def usage(http, owner) -> dict[str, int]:
    return {u["quota"]: u["used"] for u in http.get(f"/api/orgs/{owner['org_id']}/usage",
                                                    headers=owner["headers"]).json()}


def generations(sandbox) -> list[dict]:
    return [q for q in sandbox.state.requests if q["path"] == "/v1/images/generations"]


def test_an_image_job_is_refused_before_any_unit_or_provider_call_when_storage_is_full(http, owner, sandbox):
    reserve_all_storage(http, owner)
    r = http.post(f"/api/orgs/{owner['org_id']}/images", headers=owner["headers"],
                  json={"prompt": "A lighthouse at dawn over a calm harbor", "quality": "draft"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "PLAN_002", r.text
    assert r.json()["error"]["details"]["quota"] == "media_storage_bytes"
    assert usage(http, owner)["image_generations"] == 0
    assert generations(sandbox) == []


def test_an_upload_reservation_expires_and_its_storage_comes_back(http, owner, sandbox):
    media_id = reserve_all_storage(http, owner)
    reservation = Media.get(owner["org_id"], media_id)
    assert reservation.pending_until >= clock.now() + timedelta(seconds=publishing_settings().upload_url_ttl_s)
    # the presigned POST expired (its lifetime and a minute passed) and nothing was sent
    reservation.update(actions=[Media.pending_until.set(clock.now() - timedelta(seconds=1))])
    job = submit(http, owner, quality="draft")  # the check reclaims the expired reservation
    assert job["status"] == "queued" and usage(http, owner)["media_storage_bytes"] == 0
    assert http.get(f"/api/orgs/{owner['org_id']}/media/{media_id}", headers=owner["headers"]).status_code == 404


def test_a_job_whose_storage_filled_after_acceptance_fails_before_paying_and_gives_its_unit_back(
        http, local_suite, owner, sandbox):
    job = submit(http, owner, quality="draft")
    assert usage(http, owner)["image_generations"] == 1
    reserve_all_storage(http, owner)
    done = run_job(http, local_suite, owner, job)
    assert done["status"] == "failed" and done["reason"], done
    assert generations(sandbox) == []
    assert usage(http, owner)["image_generations"] == 0


def test_a_paid_generation_keeps_its_unit_when_nothing_is_delivered_and_its_cost_is_recorded(
        http, local_suite, owner, sandbox):
    job = submit(http, owner, quality="draft", max_retries=0)
    r = httpx.post(f"{sandbox.base_url}/_sandbox/faults", json={"path": "/v1/moderations", "kind": "5xx",
                                                                "count": 50}, timeout=5)
    assert r.status_code == 200, r.text
    done = run_job(http, local_suite, owner, job)
    assert done["status"] == "failed" and done["media_id"] is None, done
    assert len(generations(sandbox)) >= 1  # the provider answered an image: paid for
    assert usage(http, owner)["image_generations"] == 1  # the unit stays used
    rows = list(AIUsage.query(owner["org_id"]))
    assert any(u.operation == "image" for u in rows)  # its cost is recorded against the org
