"""The OpenAI-compatible sandbox answers the official client as the real API does (facts §5)."""

from __future__ import annotations

import base64
import json

import httpx
import openai
import pytest

from lily.local.secret_values import AI_PROVIDER_KEYS

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["title", "posts"],
          "properties": {"title": {"type": "string"},
                         "posts": {"type": "array", "minItems": 3, "maxItems": 3, "items": {
                             "type": "object", "additionalProperties": False, "required": ["text", "tone"],
                             "properties": {"text": {"type": "string"},
                                            "tone": {"type": "string", "enum": ["calm", "bold"]}}}}}}


@pytest.fixture
def client(sandbox):
    return openai.OpenAI(api_key=AI_PROVIDER_KEYS["openai_api_key"], base_url=f"{sandbox.base_url}/v1",
                         max_retries=0, _strict_response_validation=True)


def test_chat_completion_text_is_topical_deterministic_with_usage_and_headers(client):
    kwargs = {"model": "gpt-4.1-mini", "messages": [
        {"role": "system", "content": "Tone: inspirational"},
        {"role": "user", "content": "Topic: urban beekeeping\nKeywords: pollinators, rooftops"}]}
    raw = client.chat.completions.with_raw_response.create(**kwargs)
    first = raw.parse()
    text = first.choices[0].message.content
    assert "urban beekeeping" in text.lower() and ("pollinators" in text or "rooftops" in text)
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens > 0
    for header in ("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
                   "x-ratelimit-limit-tokens", "x-request-id", "openai-processing-ms"):
        assert raw.headers.get(header), header
    assert client.chat.completions.create(**kwargs).choices[0].message.content == text
    other = client.chat.completions.create(**{**kwargs, "messages": [{"role": "user", "content": "Topic: tax law"}]})
    assert other.choices[0].message.content != text


def test_structured_output_follows_the_json_schema_in_both_apis(client):
    fmt = {"type": "json_schema", "json_schema": {"name": "plan", "schema": SCHEMA, "strict": True}}
    chat = client.chat.completions.create(model="grok-3-mini", response_format=fmt,
                                          messages=[{"role": "user", "content": "Topic: sourdough baking"}])
    data = json.loads(chat.choices[0].message.content)
    assert set(data) == {"title", "posts"} and len(data["posts"]) == 3
    assert [p["tone"] for p in data["posts"]] == ["calm", "bold", "calm"]
    assert all("sourdough baking" in p["text"].lower() for p in data["posts"])
    response = client.responses.create(model="gpt-4.1-mini", input="Topic: sourdough baking",
                                       text={"format": {"type": "json_schema", "name": "plan", "schema": SCHEMA}})
    assert set(json.loads(response.output_text)) == {"title", "posts"}
    assert response.usage.total_tokens > 0 and response.status == "completed"


def test_unknown_parameters_and_bad_values_answer_the_real_400(client):
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "hi"}],
                                       extra_body={"negative_prompt": "x"})
    assert exc.value.body == {"message": "Unknown parameter: 'negative_prompt'.", "type": "invalid_request_error",
                              "param": "negative_prompt", "code": "unknown_parameter"}
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "hi"}],
                                       temperature=3)
    assert exc.value.body["code"] == "decimal_above_max_value" and exc.value.body["param"] == "temperature"
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(model="gpt-4.1-mini", messages=[])
    assert exc.value.body["code"] == "missing_required_parameter"


def test_a_wrong_key_is_401_invalid_api_key(sandbox):
    bad = openai.OpenAI(api_key="sk-nope-1234", base_url=f"{sandbox.base_url}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as exc:
        bad.models.list()
    assert exc.value.status_code == 401
    r = httpx.post(f"{sandbox.base_url}/v1/chat/completions", json={}, headers={"Authorization": "Bearer sk-nope-1"})
    assert r.json()["error"]["code"] == "invalid_api_key"


def test_embeddings_dimensions_and_similarity(client):
    # a paraphrase that shares no word with the query must land closer than an unrelated text (semantic, not lexical)
    e = client.embeddings.create(model="text-embedding-3-large", dimensions=1024, encoding_format="float",
                                 input=["forgotten password recovery", "I cannot sign in to my account",
                                        "sunny beach weather today"])
    a, b, c = (d.embedding for d in e.data)
    assert len(a) == 1024 and e.usage.prompt_tokens > 0

    def cos(x, y):
        return sum(i * j for i, j in zip(x, y, strict=True))

    assert cos(a, b) > cos(a, c) + 0.2  # a hashed bag of words scores both near 0
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=256)
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=4096)
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="text-embedding-3-small", input="")


def test_moderation_flags_by_category(client):
    m = client.moderations.create(model="omni-moderation-latest", input=["we will shoot the video", "hello there"])
    flagged, clean = m.results
    assert flagged.flagged and flagged.categories.violence and not flagged.categories.hate
    assert flagged.category_scores.violence > 0.5 and not clean.flagged
    assert len(flagged.categories.model_dump(by_alias=True)) == 13


def test_images_follow_each_providers_rules(client, sandbox):
    image = client.images.generate(model="gpt-image-1", prompt="a lighthouse at dawn", size="1024x1024")
    assert base64.b64decode(image.data[0].b64_json).startswith(b"\x89PNG") and image.data[0].url is None
    assert image.usage.total_tokens > 0
    with pytest.raises(openai.BadRequestError) as exc:
        client.images.generate(model="gpt-image-1", prompt="x", response_format="url")
    assert exc.value.body["code"] == "unknown_parameter" and exc.value.body["param"] == "response_format"
    r = httpx.post(f"{sandbox.base_url}/v1/images/generations", json={"prompt": "x"},
                   headers={"Authorization": f"Bearer {AI_PROVIDER_KEYS['openai_api_key']}"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "model"
    xai = openai.OpenAI(api_key=AI_PROVIDER_KEYS["xai_api_key"], base_url=f"{sandbox.base_url}/v1", max_retries=0)
    grok = xai.images.generate(model="grok-imagine-image", prompt="a lighthouse", response_format="url")
    assert httpx.get(grok.data[0].url).content.startswith(b"\xff\xd8\xff")  # xAI answers JPEG (facts §5.2)
    with pytest.raises(openai.BadRequestError) as exc:
        xai.images.generate(model="grok-imagine-image", prompt="x", size="1024x1024")
    assert exc.value.body["param"] == "size"
    with pytest.raises(openai.BadRequestError) as exc:
        xai.images.generate(model="grok-2-image-1212", prompt="x")
    assert "grok-imagine-image" in exc.value.body["message"]


def test_faults_are_injected_through_the_shared_sandbox_api(client, sandbox):
    httpx.post(f"{sandbox.base_url}/_sandbox/faults", json={"kind": "429", "reset_s": 7, "path": "/v1/embeddings"})
    with pytest.raises(openai.RateLimitError) as exc:
        client.embeddings.create(model="text-embedding-3-small", input="x", encoding_format="float")
    assert exc.value.body["code"] == "rate_limit_exceeded"
    assert exc.value.response.headers["retry-after"] == "7"
    assert exc.value.response.headers["x-ratelimit-reset-requests"] == "7s"
    assert client.embeddings.create(model="text-embedding-3-small", input="x", encoding_format="float").data
    httpx.post(f"{sandbox.base_url}/_sandbox/faults", json={"kind": "5xx"})
    with pytest.raises(openai.InternalServerError) as exc:
        client.models.list()
    assert exc.value.body["type"] == "server_error"
