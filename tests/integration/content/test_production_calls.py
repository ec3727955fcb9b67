"""Calls that would fail against the real providers (issue 25 items 1, 3, 5, 7), reproduced against the sandbox,
which refuses and cuts off what the real APIs do."""

from __future__ import annotations

import io
import time

import httpx
import pytest

from lily.ai.openai_client import OpenAIAdapter
from lily.ai.ports import CallContext, TextRequest, data_url
from lily.ai.settings import AISettings, ai_settings
from lily.core.errors import ErrorCode, LilyError
from tests.helpers import drain
from tests.integration.content.test_generate_http import ai_requests_used

ORG = "org_01jdprodcalls00000000000001"


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 20)).save(out, "PNG")
    return out.getvalue()


PNG = png()


def configured(**changes) -> AISettings:
    return ai_settings().model_copy(update=changes)


def key() -> str:
    from lily.local.sandboxes.kit import local_secret

    return local_secret("ai-providers")["openai_api_key"]


def chats(sandbox) -> list[dict]:
    return [q["body"] for q in sandbox.state.requests if q["path"] == "/v1/chat/completions"]


def test_four_platforms_five_alternatives_are_generated_within_budget(http, local_suite, owner, sandbox):
    # 4 platforms x 5 alternatives: one call at the old fixed 1,200 tokens was cut off and answered CONTENT_002.
    # Its 7 calls (two rounds of up to ~3,200 output tokens) cannot fit API Gateway's window: 202 with a job
    r = http.post(f"/api/orgs/{owner['org_id']}/content/generate", headers=owner["headers"],
                  json={"topic": "remote onboarding", "platforms": ["x", "linkedin", "facebook", "instagram"],
                        "n": 5})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and job["estimated_s"] > 25 and r.headers["Location"].endswith(job["job_id"])
    drain(local_suite)
    done = http.get(f"/api/orgs/{owner['org_id']}/content/jobs/{job['job_id']}", headers=owner["headers"])
    assert done.status_code == 200 and done.json()["status"] == "done", done.text
    drafts = done.json()["result"]["drafts"]
    assert sorted({(d["platform"], d["alternative"]) for d in drafts}) == sorted(
        (p, a) for p in ("x", "linkedin", "facebook", "instagram") for a in range(5))
    sent = chats(sandbox)
    assert len(sent) > 1  # split: the whole answer would not fit one call's cap
    assert all(b["max_completion_tokens"] <= 4000 for b in sent)
    assert ai_requests_used(owner["org_id"]) == 1  # one generation, one unit, however many calls


def test_a_cut_off_answer_is_split_and_asked_again_never_parsed(http, owner, sandbox, monkeypatch):
    from lily.content import pipeline

    # a budget estimate too small for what the model writes: the two-platform answer comes back
    # finish_reason=length (cut JSON); it is asked again as one call per platform, which fit
    real = pipeline.budget
    monkeypatch.setattr(pipeline, "budget", lambda part: 100 if len(part[0]) > 1 else real(part))
    r = http.post(f"/api/orgs/{owner['org_id']}/content/generate", headers=owner["headers"],
                  json={"topic": "remote onboarding", "platforms": ["x", "linkedin"], "n": 2})
    assert r.status_code == 201, r.text
    assert len(r.json()["drafts"]) == 4
    assert [b["max_completion_tokens"] for b in chats(sandbox)] == [100, real((("x",), 2)),
                                                                    real((("linkedin",), 2))]


def test_finish_reason_length_is_detected_not_parsed(lily_env, sandbox):
    request = TextRequest(instructions="Tone: casual", prompt="Topic: bicycle commuting", max_output_tokens=16,
                          json_schema={"type": "object", "additionalProperties": False, "required": ["text"],
                                       "properties": {"text": {"type": "string"}}})
    with pytest.raises(LilyError) as exc:
        OpenAIAdapter(sleep=lambda s: None).generate(request, CallContext(org_id=ORG, feature="test"))
    assert exc.value.details["reason"] == "the answer was cut off at its output budget"
    assert exc.value.details["finish_reason"] == "length"


def test_vision_goes_to_the_vision_model_even_when_text_is_on_xai(lily_env, sandbox):
    adapter = OpenAIAdapter(configured(text_provider="xai"), sleep=lambda s: None)
    request = TextRequest(instructions="Describe", prompt="What is this?", image_urls=[data_url(PNG, "image/png")])
    result = adapter.generate(request, CallContext(org_id=ORG, feature="test"))
    assert (result.provider, result.model) == ("openai", "gpt-4.1-mini")
    assert chats(sandbox)[-1]["model"] == "gpt-4.1-mini"
    # and a text call still goes to the text provider
    assert adapter.generate(TextRequest(instructions="x", prompt="y"),
                            CallContext(org_id=ORG, feature="test")).model == "grok-3-mini"


def test_the_sandbox_refuses_images_to_a_text_only_model(sandbox):
    r = httpx.post(f"{sandbox.base_url}/v1/chat/completions", headers={"Authorization": f"Bearer {key()}"},
                   json={"model": "grok-3-mini", "messages": [{"role": "user", "content": [
                       {"type": "image_url", "image_url": {"url": data_url(PNG, "image/png")}}]}]}, timeout=5)
    assert r.status_code == 400 and r.json()["error"]["param"] == "messages"


def test_temperature_is_sent_only_to_models_that_accept_it(lily_env, sandbox):
    adapter = OpenAIAdapter(configured(openai_text_model="gpt-5-mini"), sleep=lambda s: None)
    result = adapter.generate(TextRequest(instructions="Tone: casual", prompt="Topic: rain"),
                              CallContext(org_id=ORG, feature="test"))
    assert result.model == "gpt-5-mini" and "temperature" not in chats(sandbox)[-1]
    OpenAIAdapter(sleep=lambda s: None).generate(TextRequest(instructions="a", prompt="b", temperature=0.3),
                                                 CallContext(org_id=ORG, feature="test"))
    assert chats(sandbox)[-1]["temperature"] == 0.3  # gpt-4.1-mini takes it


def test_a_deadline_bounds_every_attempt_and_retry(lily_env, sandbox):
    httpx.post(f"{sandbox.base_url}/_sandbox/faults",
               json={"path": "/v1/chat/completions", "kind": "slow", "delay_s": 3, "count": 3}, timeout=5)
    started = time.monotonic()
    with pytest.raises(LilyError) as exc:
        OpenAIAdapter(sleep=time.sleep).generate(TextRequest(instructions="a", prompt="b"), CallContext(
            org_id=ORG, feature="test", deadline=time.monotonic() + 1.0))
    took = time.monotonic() - started
    assert exc.value.code == ErrorCode.EXTERNAL_001
    assert took < 1.3, took  # without the deadline: 3 attempts of the 1.5 s timeout, about 4.6 s


def test_n_true_is_refused_not_read_as_one(http, owner, sandbox):
    r = http.post(f"/api/orgs/{owner['org_id']}/content/generate", headers=owner["headers"],
                  json={"topic": "remote onboarding", "platforms": ["x"], "n": True})
    assert r.status_code == 422, r.text
    assert chats(sandbox) == []


def test_the_large_request_rule_keeps_ordinary_requests_synchronous():
    from lily.content.pipeline import estimated_s
    from lily.content.settings import content_settings

    window = content_settings().sync_deadline_s
    assert estimated_s(["x", "linkedin"], 1) < window
    assert estimated_s(["x", "linkedin", "facebook", "instagram"], 3) < window
    assert estimated_s(["x", "linkedin", "facebook", "instagram"], 5) > window


def test_a_job_of_another_org_is_not_found(http, owner, sandbox):
    r = http.get(f"/api/orgs/{owner['org_id']}/content/jobs/cjb_{'0' * 26}", headers=owner["headers"])
    assert r.status_code == 404 and r.json()["error"]["code"] == "VALIDATION_004"
