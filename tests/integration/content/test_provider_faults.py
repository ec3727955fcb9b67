"""The real ``openai`` client against the sandbox: success, 429 then success, 5xx until the breaker opens,
timeouts, malformed answers; usage recorded once per successful call; quota used once, released on failure."""

from __future__ import annotations

import httpx
import pytest

from lily.ai.models import AIUsage
from lily.ai.openai_client import OpenAIAdapter
from lily.ai.ports import CallContext, TextRequest
from lily.billing.entitlements import usage
from lily.core import breaker
from lily.core.errors import ErrorCode, LilyError

ORG = "org_01jdfaults0000000000000001"
REQUEST = TextRequest(instructions="Tone: casual", prompt="Topic: bicycle commuting\nKeywords: rain gear")


def fault(sandbox, **spec) -> None:
    r = httpx.post(f"{sandbox.base_url}/_sandbox/faults", json={"path": "/v1/chat/completions", **spec}, timeout=5)
    assert r.status_code == 200, r.text


def text_calls(org_id: str = ORG) -> list[AIUsage]:
    return [c for c in AIUsage.query(org_id) if c.operation == "text"]


@pytest.fixture
def adapter(lily_env, sandbox):
    waits: list[float] = []
    a = OpenAIAdapter(sleep=waits.append)
    a.waits = waits  # type: ignore[attr-defined]
    return a


def ctx(org_id: str = ORG) -> CallContext:
    return CallContext(org_id=org_id, user_id="usr_1", feature="test")


def test_success_records_usage_once(adapter, sandbox):
    result = adapter.generate(REQUEST, ctx())
    assert "bicycle commuting" in result.text.lower()
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens > 0
    assert result.attempts == 1 and result.provider_ms is not None and result.latency_ms > 0
    [call] = text_calls()
    assert (call.provider, call.model, call.feature, call.user_id) == ("openai", "gpt-4.1-mini", "test", "usr_1")
    assert call.total_tokens == result.usage.total_tokens and call.cost_usd > 0


def test_429_then_success_waits_what_retry_after_says(adapter, sandbox):
    fault(sandbox, kind="429", reset_s=2, count=1)
    result = adapter.generate(REQUEST, ctx())
    assert result.attempts == 2 and adapter.waits == [2.0]
    assert len(text_calls()) == 1  # the rejected attempt is not usage


def test_429_without_retry_after_honours_x_ratelimit_reset(adapter, sandbox):
    httpx.post(f"{sandbox.base_url}/_sandbox/config", json={"send_retry_after": False}, timeout=5)
    fault(sandbox, kind="429", reset_s=1, count=1)
    assert adapter.generate(REQUEST, ctx()).attempts == 2 and adapter.waits == [1.0]


def test_429_longer_than_the_wait_budget_is_external_001_with_retry_after(adapter, sandbox):
    fault(sandbox, kind="429", reset_s=60, count=1)
    with pytest.raises(LilyError) as exc:
        adapter.generate(REQUEST, ctx())
    assert exc.value.code == ErrorCode.EXTERNAL_001 and exc.value.details["retry_after"] == 60
    assert exc.value.headers["Retry-After"] == "60" and adapter.waits == []
    assert text_calls() == []


def test_5xx_until_the_breaker_opens_then_calls_are_refused_without_reaching_the_provider(adapter, sandbox):
    fault(sandbox, kind="5xx", count=100)
    # threshold 3, 2 retries: the first call's three attempts open the breaker
    with pytest.raises(LilyError) as exc:
        adapter.generate(REQUEST, ctx())
    assert exc.value.code == ErrorCode.EXTERNAL_001 and exc.value.details["reason"] == "server error"
    assert exc.value.details["retry_after"] == 30
    assert breaker.state_of("ai:openai") == "open"
    seen = len(sandbox.state.calls)
    # a second instance (another Lambda) shares the breaker: refused before any request
    with pytest.raises(LilyError) as exc:
        OpenAIAdapter(sleep=lambda s: None).generate(REQUEST, ctx())
    assert exc.value.details["reason"] == "circuit open" and len(sandbox.state.calls) == seen
    assert text_calls() == []


def test_timeout_is_external_001(adapter, sandbox):
    fault(sandbox, kind="slow", delay_s=3, count=3)
    with pytest.raises(LilyError) as exc:
        adapter.generate(REQUEST, ctx())
    assert exc.value.code == ErrorCode.EXTERNAL_001 and exc.value.details["reason"] == "timeout"
    assert len(adapter.waits) == 2  # two retries, each after a backoff


def test_timeout_then_success(adapter, sandbox):
    fault(sandbox, kind="slow", delay_s=3, count=1)
    assert adapter.generate(REQUEST, ctx()).attempts == 2
    assert len(text_calls()) == 1


def test_malformed_answers_are_content_002(adapter, sandbox):
    fault(sandbox, kind="malformed", count=3)
    with pytest.raises(LilyError) as exc:
        adapter.generate(REQUEST, ctx())
    assert exc.value.code == ErrorCode.CONTENT_002


def test_a_refused_request_is_content_002_with_the_providers_code(lily_env, sandbox):
    a = OpenAIAdapter(keys={"openai": "sk-wrong-key-0000"}, sleep=lambda s: None)
    with pytest.raises(LilyError) as exc:
        a.generate(REQUEST, ctx())
    assert exc.value.code == ErrorCode.CONTENT_002
    assert exc.value.details["status"] == 401 and exc.value.details["provider_code"] == "invalid_api_key"


def _ai_used(org_id: str) -> int:
    return next(q.used for q in usage(org_id) if q.quota == "ai_text_requests")


def test_http_quota_used_once_per_call_and_released_when_the_provider_fails(http, owner, sandbox):
    org, headers = owner["org_id"], owner["headers"]
    # one alternative: three platforms fit one call's output budget (n=3 is split into a call per platform)
    r = http.post(f"/api/orgs/{org}/content/generate", headers=headers,
                  json={"topic": "bicycle commuting", "platforms": ["x", "facebook", "linkedin"], "n": 1})
    assert r.status_code == 201, r.text
    assert _ai_used(org) == 1 and len(text_calls(org)) == 1
    fault(sandbox, kind="5xx", count=3)
    r = http.post(f"/api/orgs/{org}/content/generate", headers=headers,
                  json={"topic": "bicycle commuting", "platforms": ["x"]})
    assert r.status_code == 502, r.text
    err = r.json()["error"]
    assert err["code"] == "EXTERNAL_001" and err["details"]["retry_after"] >= 1 and r.headers["Retry-After"]
    assert _ai_used(org) == 1 and len(text_calls(org)) == 1


def test_http_quota_refusal_names_the_plan_that_lifts_it(http, owner, sandbox):
    from lily.billing.entitlements import consume

    org = owner["org_id"]
    for _ in range(5):  # the free plan's five AI requests of the day
        consume(org, "ai_text_requests")
    r = http.post(f"/api/orgs/{org}/content/generate", headers=owner["headers"],
                  json={"topic": "bicycle commuting", "platforms": ["x"]})
    assert r.status_code == 429, r.text
    err = r.json()["error"]
    assert err["code"] == "PLAN_002" and err["details"]["upgrade_to"] == "starter"
    assert [q for q in sandbox.state.requests if q["path"] == "/v1/chat/completions"] == []


def test_xai_runs_through_the_same_client_with_its_own_model_and_breaker(lily_env, sandbox):
    from lily.ai.settings import ai_settings

    xai = OpenAIAdapter(settings=ai_settings().model_copy(update={"text_provider": "xai"}), sleep=lambda s: None)
    result = xai.generate(REQUEST, ctx())
    assert (result.provider, result.model) == ("xai", "grok-3-mini")
    assert sandbox.state.requests[-1]["body"]["model"] == "grok-3-mini"
    fault(sandbox, kind="5xx", count=100)
    with pytest.raises(LilyError):
        xai.generate(REQUEST, ctx())
    assert breaker.state_of("ai:xai") == "open" and breaker.state_of("ai:openai") == "closed"
    httpx.delete(f"{sandbox.base_url}/_sandbox/faults", timeout=5)
    assert OpenAIAdapter().moderate(["a calm sentence"], ctx())[0].flagged is False  # OpenAI is unaffected


def test_embeddings_have_the_deployments_dimension_and_record_usage(adapter, sandbox):
    result = adapter.embed(["fleet routing", "chocolate cake"], ctx())
    assert [len(v) for v in result.vectors] == [1024, 1024] and result.usage.input_tokens > 0
    sent = sandbox.state.requests[-1]["body"]
    assert (sent["model"], sent["dimensions"]) == ("text-embedding-3-large", 1024)
    assert [c.operation for c in AIUsage.query(ORG)] == ["embedding"]
