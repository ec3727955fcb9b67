"""Image calls that would fail against the real providers (issue 25 items 2 and 4): xAI's answer as documented
(no ``created``), a vision judge outage (pixel heuristics, marked) and a moderation outage (fails closed)."""

from __future__ import annotations

import httpx

from lily.ai.images import OpenAIImageAdapter
from lily.ai.ports import CallContext, ImageRequest
from lily.publishing.models import Media
from tests.integration.images.conftest import on_plan, run_job, submit


def fault(sandbox, path: str, **spec) -> None:
    r = httpx.post(f"{sandbox.base_url}/_sandbox/faults", json={"path": path, **spec}, timeout=5)
    assert r.status_code == 200, r.text


def test_an_xai_images_answer_without_created_is_read(lily_env, sandbox):
    image = OpenAIImageAdapter(sleep=lambda s: None).generate_image(
        ImageRequest(provider="xai", model="grok-imagine-image", prompt="A lighthouse at dawn",
                     params={"response_format": "b64_json", "aspect_ratio": "1:1", "resolution": "1k"}),
        CallContext(org_id="org_01jdxainocreated000000001", feature="test"))
    assert image.content_type == "image/jpeg" and image.attempts == 1
    answer = [q for q in sandbox.state.requests if q["path"] == "/v1/images/generations"]
    assert len(answer) == 1  # read at the first answer: not counted malformed, not retried


def test_a_judge_outage_scores_on_heuristics_and_marks_the_image(http, local_suite, owner, sandbox):
    on_plan(owner, "pro")
    job = submit(http, owner, quality="draft", platform="instagram", max_retries=0)
    fault(sandbox, "/v1/chat/completions", kind="5xx", count=50)  # the vision judge and alt text are down
    done = run_job(http, local_suite, owner, job)
    assert done["status"] == "done" and done["media_id"], done
    assert done["judged_by"] == "heuristics" and done["attempts"][0]["judged_by"] == "heuristics"
    assert "vision" not in done["attempts"][0]["scores"] and done["alt_text"]


def test_a_moderation_outage_fails_the_job_closed_with_a_clear_error(http, local_suite, owner, sandbox):
    on_plan(owner, "pro")
    job = submit(http, owner, quality="draft", platform="instagram", max_retries=0)
    fault(sandbox, "/v1/moderations", kind="5xx", count=50)
    done = run_job(http, local_suite, owner, job)
    assert done["status"] == "failed" and done["media_id"] is None, done
    assert "Image moderation was unavailable" in done["reason"] and "fails closed" in done["reason"]
    assert list(Media.query(owner["org_id"])) == []
