"""Image jobs over HTTP in local mode: 202 + job id, the worker's quality loop, moderation, quota and metrics,
through the real openai client and the sandbox."""

from __future__ import annotations

from lily.billing.entitlements import usage
from lily.core.aws import client
from lily.core.observability import counter_value, observations
from lily.core.resources import bucket_name
from lily.publishing.models import Media
from tests.integration.images.conftest import configure, on_plan, run_job, submit


def used(org_id: str, quota: str) -> int:
    return next(q.used for q in usage(org_id) if q.quota == quota)


def images_used(org_id: str) -> int:
    return used(org_id, "image_generations")


def test_an_image_over_the_plans_media_storage_is_refused_before_its_unit_or_any_provider_call(
        http, local_suite, owner, sandbox):
    from lily import composition
    from lily.billing.plans import PLANS

    on_plan(owner, "starter")
    org_id = owner["org_id"]
    composition.publishing_ports().storage_quota.consume(org_id, PLANS["starter"].limit("media_storage_bytes") - 1024)
    # storage is checked before anything is paid for (issue 25 security 1): refused at acceptance
    r = http.post(f"/api/orgs/{org_id}/images", headers=owner["headers"],
                  json={"prompt": "A lighthouse at dawn over a calm harbor"})
    assert r.status_code == 429 and r.json()["error"]["message"].startswith(
        "Media stored (bytes): the Starter plan allows"), r.text
    assert list(Media.query(org_id)) == []
    assert not [q for q in sandbox.state.requests if q["path"] == "/v1/images/generations"]
    assert images_used(org_id) == 0
    assert used(org_id, "media_storage_bytes") == PLANS["starter"].limit("media_storage_bytes") - 1024


def test_a_job_is_accepted_then_runs_to_a_stored_media_item_with_alt_text(http, local_suite, owner, sandbox):
    on_plan(owner, "pro")
    # When an image is requested
    job = submit(http, owner, quality="premium", platform="instagram", brand_keywords=["harbor"],
                 primary_color="#FF6600", secondary_color="#003366", content_context="Harbor tours start in May.")
    # Then it is accepted at once, queued, with auto resolved to the best model of the plan
    assert job["status"] == "queued" and job["job_id"].startswith("imgjob_")
    assert job["model"] == "gpt_image_1" and job["provider_model"] == "gpt-image-1"
    assert job["progress"] == {"attempt": 0, "max_attempts": 3, "current_score": None, "threshold": 0.67}
    assert images_used(owner["org_id"]) == 1
    # When the worker runs it
    done = run_job(http, local_suite, owner, job)
    # Then the image is stored as a media item with its alt text and scores
    assert done["status"] == "done" and done["fallback"] is None, done
    assert done["progress"]["attempt"] == 1 and done["score"] >= done["progress"]["threshold"]
    scores = done["attempts"][0]["scores"]
    assert {"resolution", "sharpness", "exposure", "contrast", "palette", "vision", "heuristic"} <= set(scores)
    assert scores["palette"] > 0.7 and scores["vision_alignment"] == 1.0
    assert (done["width"], done["height"]) == (1024, 1280)  # 1024x1536 cropped to Instagram's 4:5
    assert "LIGHTHOUSE" in done["alt_text"] and done["duration_s"] > 0 and done["provider_ms"] >= 1
    media = Media.get(owner["org_id"], done["media_id"])
    assert media.alt_text == done["alt_text"] and media.content_type == "image/png"
    stored = client("s3").get_object(Bucket=bucket_name("media"), Key=media.key)["Body"].read()
    assert stored.startswith(b"\x89PNG") and len(stored) == media.size
    r = http.get(f"/api/orgs/{owner['org_id']}/media/{done['media_id']}", headers=owner["headers"])
    assert r.status_code == 200 and r.json()["content_type"] == "image/png"
    assert r.json()["alt_text"] == done["alt_text"] and r.json()["filename"] == f"{job['job_id']}.png"
    # And the provider was asked exactly what the model takes, its model named
    sent = [q["body"] for q in sandbox.state.requests if q["path"] == "/v1/images/generations"]
    assert sent[0]["model"] == "gpt-image-1" and "response_format" not in sent[0] and sent[0]["size"] == "1024x1536"
    assert images_used(owner["org_id"]) == 1
    # And one vision call both judged the image and wrote its alt text
    vision = [q["body"] for q in sandbox.state.requests if q["path"] == "/v1/chat/completions"
              and any(p.get("type") == "image_url" for m in q["body"]["messages"] if isinstance(m["content"], list)
                      for p in m["content"])]
    assert len(vision) == 1 and "alt_text" in vision[0]["response_format"]["json_schema"]["schema"]["required"]
    assert used(owner["org_id"], "media_storage_bytes") == media.size  # stored images count like uploads
    assert observations("image_quality_score", model="gpt_image_1", quality="premium")
    assert observations("image_generation_duration_seconds", model="gpt_image_1", outcome="generated")


def test_blurred_and_wrong_size_answers_are_retried_then_fall_back_to_a_text_card_quota_once(
        http, local_suite, owner, sandbox):
    on_plan(owner, "starter")
    configure(sandbox, image_degrade={"kind": "blur", "times": 1})
    # A blurred first answer is retried with an enhanced prompt, and the second passes
    job = run_job(http, local_suite, owner, submit(http, owner, quality="standard", max_retries=2))
    assert job["status"] == "done" and job["fallback"] is None and job["model"] == "grok2_premium"
    first, second = job["attempts"]
    assert first["scores"]["sharpness"] < 0.1 and "sharpness under its floor 0.25" in first["reasons"]
    assert second["scores"]["sharpness"] > 0.5 and second["score"] >= job["progress"]["threshold"]
    prompts = [q["body"]["prompt"] for q in sandbox.state.requests if q["path"] == "/v1/images/generations"]
    assert "Fix from the last attempt:" not in prompts[0] and "crisp, in sharp focus" in prompts[1]
    assert images_used(owner["org_id"]) == 1
    # Every answer wrong-sized: the retries run out and a text card in the brand palette is delivered instead
    configure(sandbox, image_degrade={"kind": "wrong_size", "times": 10})
    job = run_job(http, local_suite, owner, submit(http, owner, quality="standard", max_retries=1,
                                                   primary_color="#1F3A5F", content_context="Tours start in May."))
    assert job["status"] == "done" and job["fallback"] == "text_card", job
    assert len(job["attempts"]) == 2 and all(a["scores"]["resolution"] < 0.3 for a in job["attempts"])
    assert "no generated image passed" in job["reason"] and "resolution" in job["reason"]
    assert job["alt_text"] == "Text card reading: “Tours start in May.”" and job["media_id"]
    # And the month's quota counted one unit per delivered image, never per retry
    assert images_used(owner["org_id"]) == 2
    assert counter_value("image_fallbacks_total", model="grok2_premium", kind="text_card") >= 1


def test_moderation_blocks_a_prompt_and_an_image_each_with_its_category(http, local_suite, owner, sandbox):
    on_plan(owner, "starter")
    # A prompt is refused before any job exists or any quota is taken
    r = http.post(f"/api/orgs/{owner['org_id']}/images", headers=owner["headers"],
                  json={"prompt": "A poster where they shoot the mayor", "quality": "draft"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "CONTENT_004"
    assert r.json()["error"]["details"] == {"stage": "prompt", "field": "prompt", "categories": ["violence"]}
    assert images_used(owner["org_id"]) == 0
    # An image the moderation model flags is blocked and never stored; it was generated (a paid provider call),
    # so its quota unit stays used (issue 25 security 1: a unit comes back only when nothing was paid for)
    configure(sandbox, image_moderation_terms={"sexual": ["lighthouse"]})
    job = run_job(http, local_suite, owner, submit(http, owner, quality="draft"))
    assert job["status"] == "blocked" and job["blocked"] == {"stage": "image", "categories": ["sexual"]}
    assert job["media_id"] is None and not list(Media.query(owner["org_id"]))
    assert images_used(owner["org_id"]) == 1
    moderated = [q["body"]["input"] for q in sandbox.state.requests if q["path"] == "/v1/moderations"]
    assert moderated[-1][0]["type"] == "image_url" and moderated[-1][0]["image_url"]["url"].startswith(
        "data:image/jpeg;base64,")


def test_plan_and_policy_are_enforced_at_acceptance(http, owner, sandbox):
    org = owner["org_id"]
    r = http.post(f"/api/orgs/{org}/images", headers=owner["headers"],
                  json={"prompt": "A lighthouse", "model": "gpt_image_1", "quality": "draft"})
    assert r.status_code == 403 and r.json()["error"]["details"] == {
        "feature": "image_model:gpt_image_1", "plan": "free", "upgrade_to": "pro"}
    r = http.post(f"/api/orgs/{org}/images", headers=owner["headers"], json={"prompt": "A lighthouse",
                                                                            "quality": "story"})
    assert r.status_code == 403 and r.json()["error"]["details"]["upgrade_to"] == "pro"
    r = http.post(f"/api/orgs/{org}/images", headers=owner["headers"],
                  json={"prompt": "A lighthouse", "model": "dall" + "-e-3", "quality": "draft"})
    assert r.status_code == 422 and r.json()["error"]["details"]["policy"] == "banned_image_model"
    r = http.post(f"/api/orgs/{org}/images", headers=owner["headers"],
                  json={"prompt": "A lighthouse", "quality": "draft", "primary_color": "orange"})
    assert r.status_code == 422
    for flag in ({"seed": True}, {"max_retries": False}, {"version": True}):  # JSON booleans are not integers
        r = http.post(f"/api/orgs/{org}/images", headers=owner["headers"],
                      json={"prompt": "A lighthouse", "quality": "draft", **flag})
        assert r.status_code == 422 and r.json()["error"]["code"].startswith("VALIDATION"), (flag, r.text)
    # the free plan's 5 images a month: the sixth is refused with the plan that lifts it
    for _ in range(5):
        submit(http, owner, quality="draft")
    r = http.post(f"/api/orgs/{org}/images", headers=owner["headers"], json={"prompt": "A lighthouse",
                                                                            "quality": "draft"})
    assert r.status_code == 429 and r.json()["error"]["details"]["upgrade_to"] == "starter"
    assert not [q for q in sandbox.state.requests if q["path"] == "/v1/images/generations"]


def test_a_job_whose_lease_ran_out_is_taken_over_and_its_old_holder_can_no_longer_write(
        http, local_suite, owner, sandbox):
    from datetime import timedelta

    import pytest

    from lily.core import clock
    from lily.images import generation
    from lily.images.models import ImageJob

    on_plan(owner, "starter")
    job = submit(http, owner)
    # A worker claimed it an hour ago and died (or stalled) mid-way
    item = ImageJob.get(owner["org_id"], job["job_id"])
    item.update(actions=[ImageJob.status.set("running"), ImageJob.stage.set("generating"),
                         ImageJob.updated_at.set(clock.now() - timedelta(hours=1))])
    stalled_holder = ImageJob.get(owner["org_id"], job["job_id"])
    # The redelivered message finds the lease over: another worker takes the job and delivers it once
    done = run_job(http, local_suite, owner, job)
    assert done["status"] == "done" and done["media_id"], done
    assert len(list(Media.query(owner["org_id"]))) == 1 and images_used(owner["org_id"]) == 1
    # The stalled worker wakes up: every write it tries is refused, so it can neither overwrite nor deliver again
    with pytest.raises(generation.Superseded):
        generation._progress(stalled_holder, stage="storing")
    assert ImageJob.get(owner["org_id"], job["job_id"]).status == "done"


def test_the_worker_sends_what_the_api_showed_even_if_the_style_is_deleted_while_the_job_waits(
        http, local_suite, owner, sandbox):
    on_plan(owner, "starter")
    base, headers = f"/api/orgs/{owner['org_id']}/images", owner["headers"]
    style = {"name": "Harbor blues", "visual_style": "flat vector illustration", "mood": "calm",
             "prompt": "soft morning light, gentle waves", "palette": ["#0A7CFF", "#FFFFFF"], "avoid": ["boats"]}
    style_id = http.post(f"{base}/styles", headers=headers, json=style).json()["style_id"]
    job = submit(http, owner, style_id=style_id)
    assert http.delete(f"{base}/styles/{style_id}", headers=headers).status_code == 204
    done = run_job(http, local_suite, owner, job)
    assert done["status"] == "done" and done["provider_model"] == job["provider_model"], done
    (sent,) = [q["body"] for q in sandbox.state.requests if q["path"] == "/v1/images/generations"]
    assert "soft morning light, gentle waves" in sent["prompt"] and sent["model"] == job["provider_model"]


def test_a_job_that_keeps_crashing_fails_on_its_last_delivery_and_gives_its_unit_back(
        http, local_suite, owner, sandbox, monkeypatch):
    import time

    from lily.core import queues
    from lily.images import generation

    on_plan(owner, "starter")
    job = submit(http, owner)
    assert images_used(owner["org_id"]) == 1
    # Given a worker that crashes on every delivery (a bug, not a provider refusal)
    monkeypatch.setattr(generation, "_loop", lambda *a, **kw: (_ for _ in ()).throw(RuntimeError("bug")))
    poller = next(p for p in local_suite.pollers if p.trigger.queue == "image_jobs")
    sqs, dlq = client("sqs"), queues.dlq_url("image_jobs")
    # When SQS delivers it until its maxReceiveCount and moves it to the DLQ
    deadline, dead = time.monotonic() + 30, []
    while not dead and time.monotonic() < deadline:
        poller.poll_once(wait_s=0)
        dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=1, VisibilityTimeout=0).get("Messages", [])
        time.sleep(0.2)
    assert dead, "the message never reached the DLQ"
    # Then the job has failed with a reason (it does not sit queued for ever) and its unit came back
    r = http.get(f"/api/orgs/{owner['org_id']}/images/jobs/{job['job_id']}", headers=owner["headers"])
    assert r.json()["status"] == "failed" and "internal error" in r.json()["reason"], r.json()
    assert images_used(owner["org_id"]) == 0
    # And a redrive of the DLQ message does not run it again
    monkeypatch.undo()
    queues.send("image_jobs", __import__("json").loads(dead[0]["Body"]))
    assert run_job(http, local_suite, owner, job)["status"] == "failed"
    assert not [q for q in sandbox.state.requests if q["path"] == "/v1/images/generations"]
