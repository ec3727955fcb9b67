"""End to end in local mode: generate an image → the job is done → attach its media item to a post → publish to
the Instagram sandbox, which receives the image with its alt text (platform-apis.md §2.4: ``alt_text`` on image
containers), and to X, where the alt text is the uploaded media's metadata (``POST /2/media/metadata``)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from lily import composition
from lily.core import clock
from lily.publishing.models import Media
from tests.helpers import drain
from tests.integration.images.conftest import on_plan, run_job, submit
from tests.integration.publishing.helpers import run_publisher, tick
from tests.integration.social.conftest import connect


def post_and_publish(http, org: str, headers: dict, text: str, media_id: str, connection_id: str,
                     before_due=lambda: None) -> tuple[str, list]:
    """Create a post with the image, schedule it 90 s ahead, run ``before_due``, and let its second come:
    (post id, the publisher's outcomes)."""
    r = http.post(f"/api/orgs/{org}/posts", headers=headers,
                  json={"text": text, "media_ids": [media_id], "targets": [{"connection_id": connection_id}]})
    assert r.status_code == 201, r.text
    post_id = r.json()["post_id"]
    at = datetime.fromtimestamp(int(clock.now_ts()) + 90, tz=UTC)
    r = http.post(f"/api/orgs/{org}/posts/{post_id}/schedule", headers=headers,
                  json={"scheduled_at": at.isoformat(), "timezone": "UTC"})
    assert r.status_code == 200, r.text
    before_due()
    with clock.freeze(at.timestamp()):  # its second comes: dispatched and run on it (no publish lag)
        assert tick()["dispatched"] == 1
        return post_id, run_publisher(composition.publishing_ports().gateway)


def test_generated_image_is_published_to_instagram_with_its_alt_text(http, local_suite, owner, sandbox,
                                                                     image_sandboxes):
    org, headers = owner["org_id"], owner["headers"]
    on_plan(owner, "pro")
    # Given an Instagram business account connected through the real flow, and brand image settings
    connected = connect(http, headers, org, "instagram")
    ig = next(c for c in connected["connections"] if c["platform"] == "instagram")
    r = http.put(f"/api/orgs/{org}/images/settings", headers=headers,
                 json={"default_model": "grok2_premium", "primary_color": "#0A7CFF", "fonts": ["Inter"]})
    assert r.status_code == 200, r.text
    # When an image is generated for the post
    job = run_job(http, local_suite, owner, submit(http, owner, quality="standard", platform="instagram",
                                                   content_context="Harbor tours start in May."))
    assert job["status"] == "done" and job["model"] == "grok2_premium" and job["media_id"], job
    assert job["alt_text"]
    # And attached to a post that is scheduled and comes due
    post_id, outcomes = post_and_publish(http, org, headers, "Harbor tours start in May. #harbor", job["media_id"],
                                         ig["connection_id"])
    assert outcomes == ["published"]
    drain(local_suite)
    # Then Instagram published the generated image with its alt text
    meta = image_sandboxes["meta"]
    posts = [p for p in httpx.get(f"{meta.base_url}/_sandbox/posts", timeout=5).json() if p["platform"] == "instagram"]
    assert len(posts) == 1 and posts[0]["alt_text"] == job["alt_text"]
    assert f"/orgs/{org}/media/{job['media_id']}" in posts[0]["media_url"]
    got = http.get(f"/api/orgs/{org}/posts/{post_id}", headers=headers).json()
    assert got["status"] == "published" and got["targets"][0]["platform_post_id"] == posts[0]["id"]


def test_generated_image_is_published_to_x_with_its_alt_text_as_media_metadata(http, local_suite, owner, sandbox,
                                                                               image_sandboxes):
    org, headers = owner["org_id"], owner["headers"]
    on_plan(owner, "pro")
    x = connect(http, headers, org, "x")["connections"][0]
    job = run_job(http, local_suite, owner, submit(http, owner, quality="standard", platform="x",
                                                   content_context="Harbor tours start in May."))
    assert job["status"] == "done" and job["alt_text"], job
    _post_id, outcomes = post_and_publish(http, org, headers, "Harbor tours start in May. #harbor",
                                          job["media_id"], x["connection_id"])
    assert outcomes == ["published"]
    # Then X has one post whose uploaded image carries the job's alt text
    posts = httpx.get(f"{image_sandboxes['x'].base_url}/_sandbox/posts", timeout=5).json()
    assert len(posts) == 1 and posts[0]["alt_texts"] == [job["alt_text"]], posts
    assert len(posts[0]["media"]["media_ids"]) == 1


def test_a_post_whose_image_was_deleted_after_scheduling_fails_clearly_instead_of_going_out_without_it(
        http, local_suite, owner, sandbox, image_sandboxes):
    org, headers = owner["org_id"], owner["headers"]
    on_plan(owner, "pro")
    x = connect(http, headers, org, "x")["connections"][0]
    job = run_job(http, local_suite, owner, submit(http, owner, quality="draft", platform="x"))
    def delete_while_scheduled():
        # The API refuses to delete a medium a scheduled post names (409 with the post's id) ...
        r = http.delete(f"/api/orgs/{org}/media/{job['media_id']}", headers=headers)
        assert r.status_code == 409 and r.json()["error"]["details"]["post_ids"], r.text
        # ... so the race is staged below the API: the medium's record goes while the post waits
        Media.get(org, job["media_id"]).delete()

    post_id, outcomes = post_and_publish(
        http, org, headers, "Our harbor, this morning.", job["media_id"], x["connection_id"],
        before_due=delete_while_scheduled)
    assert outcomes == ["failed"]
    # Then nothing went out, and the target says why
    assert httpx.get(f"{image_sandboxes['x'].base_url}/_sandbox/posts", timeout=5).json() == []
    target = http.get(f"/api/orgs/{org}/posts/{post_id}", headers=headers).json()["targets"][0]
    assert target["state"] == "failed" and job["media_id"] in target["last_error"]["message"], target
    # And scheduling a post whose media is gone is refused up front
    at = datetime.fromtimestamp(int(clock.now_ts()) + 90, tz=UTC)
    r = http.post(f"/api/orgs/{org}/posts/{post_id}/schedule", headers=headers,
                  json={"scheduled_at": at.isoformat(), "timezone": "UTC"})
    assert r.status_code == 422 and "media_missing" in r.text, r.text
