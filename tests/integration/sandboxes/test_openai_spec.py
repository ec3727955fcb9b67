"""Lily's OpenAI calls and the sandbox's answers, checked against OpenAI's own OpenAPI document
(``tests/data/openai-openapi.trimmed.json``, from github.com/openai/openai-openapi; see ``tests/data/README.md``).

1. Every request the adapters send (chat completions with ``json_schema`` for each structured answer Lily asks
   for, vision chat, images, embeddings, moderations of text and image, the model list) is valid for the
   operation's request schema.
2. Every answer the sandbox gives to those requests is valid for the operation's 200 schema (the real client reads
   it with ``_strict_response_validation``; the document is the independent check).
3. The sandbox refuses what the real API refuses, derived from the document: a value past each numeric bound the
   request schema declares, a value outside each enumerated string, an unknown parameter (the sandbox knows no
   parameter the document does not declare), ``n`` out of range, and a ``json_schema`` strict mode rejects.

xAI speaks the same API with its own image parameters (``aspect_ratio``, ``resolution``) and no ``created`` in
image answers (https://docs.x.ai/docs/api-reference, cited in /work/shared/reference/platform-apis.md): grok
requests are held to the sandbox's xAI rules in tests/integration/images, not to OpenAI's document.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from lily.ai.check_models import configured
from lily.ai.images import OpenAIImageAdapter
from lily.ai.ports import CallContext, ImageRequest, TextRequest
from lily.ai.settings import ai_settings
from lily.content.pipeline import drafts_schema
from lily.images import alt_text, judge
from lily.images.contract import PromptContract
from lily.images.rendering import render
from lily.images.rendering.common import Personalisation
from lily.local.sandboxes.openai import embeddings as sb_embeddings
from lily.local.sandboxes.openai import images as sb_images
from lily.local.sandboxes.openai import moderations as sb_moderations
from lily.local.sandboxes.openai import text as sb_text
from lily.research import synthesis
from tests.integration.content.test_production_calls import PNG
from tests.support.provider_specs import (
    _openai,
    errors,
    openai_properties,
    openai_request,
    openai_response,
)
from tests.support.sandboxes import reset_between, running_sandboxes

CTX = CallContext(org_id="org_01jdspec00000000000000001", feature="spec")
REQUEST_SCHEMAS = {"/chat/completions": "CreateChatCompletionRequest", "/images/generations": "CreateImageRequest",
                   "/embeddings": "CreateEmbeddingRequest", "/moderations": "CreateModerationRequest"}
SANDBOX_PARAMS = {"/chat/completions": sb_text.CHAT_PARAMS, "/images/generations": sb_images.GPT_IMAGE_PARAMS,
                  "/embeddings": sb_embeddings.EMBEDDING_PARAMS, "/moderations": sb_moderations.MODERATION_PARAMS}
NOT_MUTATED = {"model", "seed"}  # a free string besides the listed models; any 64-bit integer


@pytest.fixture(scope="module")
def ai():
    with running_sandboxes(["openai"], {"LILY_AI_MAX_RETRIES": "0"}) as started:
        yield started["openai"]


@pytest.fixture(scope="module")
def deployment(emulator, ai):
    """One provisioned deployment for the module (the adapters record usage and keep their breaker in it)."""
    import uuid

    from lily.core.config import reset_settings
    from lily.local.provision import provision
    from tests.conftest import deployment_env

    with pytest.MonkeyPatch.context() as env:
        for k, v in deployment_env(f"spec{uuid.uuid4().hex[:8]}").items():
            env.setenv(k, v)
        reset_settings()
        provision()
        yield
    reset_settings()


@pytest.fixture(scope="module")
def sent(ai, deployment) -> list[dict[str, Any]]:
    """Every request the adapters send to OpenAI, once each kind (recorded by the sandbox)."""
    with reset_between({"openai": ai}):
        adapter = OpenAIImageAdapter(sleep=lambda s: None)
        for name, schema in (("drafts", drafts_schema(["x", "linkedin"], 2)), ("research_report", synthesis.schema(3)),
                             ("judgement", judge.SCHEMA), ("alt_text", alt_text.SCHEMA)):
            adapter.generate(TextRequest(instructions="You write for a brand.", prompt="Topic: remote onboarding",
                                         json_schema=schema, schema_name=name, max_output_tokens=3000), CTX)
        adapter.generate(TextRequest(instructions="Describe.", prompt="What is shown?",
                                     image_urls=[f"data:image/png;base64,{__import__('base64').b64encode(PNG).decode()}"],
                                     max_output_tokens=400), CTX)
        adapter.generate(TextRequest(instructions="Say hello.", prompt="hello"), CTX)
        adapter.moderate(["a post about onboarding", "another"], CTX)
        adapter.moderate_image(PNG, "image/png", CTX)
        adapter.embed(["remote onboarding checklist", "pricing pages"], CTX)
        for quality in ("draft", "premium"):
            rendered = render("gpt_image_1", PromptContract(prompt="A lighthouse at dawn", quality=quality,
                                                            platform="instagram"), Personalisation())
            adapter.generate_image(ImageRequest(provider="openai", model=rendered.provider_model,
                                                prompt=rendered.prompt, params=rendered.params), CTX)
        assert configured(ai_settings())["openai"]
        list(adapter.client("openai").models.list())
        recorded = [dict(q) for q in ai.state.requests]
    return [q | {"path": q["path"].removeprefix("/v1")} for q in recorded
            if not str(q["body"].get("model", "")).startswith("grok")]


def headers() -> dict[str, str]:
    from lily.local.sandboxes.kit import local_secret

    return {"Authorization": f"Bearer {local_secret('ai-providers')['openai_api_key']}"}


def post(ai, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{ai.base_url}/v1{path}", json=body, headers=headers(), timeout=30)


def test_the_adapters_call_each_operation(sent):
    assert {q["path"] for q in sent} == set(REQUEST_SCHEMAS)
    formats = [q["body"].get("response_format", {}).get("json_schema", {}).get("name") for q in sent
               if q["path"] == "/chat/completions"]
    assert {"drafts", "research_report", "judgement", "alt_text"} <= set(formats)


def test_every_request_the_adapters_send_is_valid_for_the_document(sent):
    problems = {f"{q['path']} #{i}": errors(openai_request(q["path"]), q["body"]) for i, q in enumerate(sent)}
    assert not {k: v for k, v in problems.items() if v}


def test_every_answer_the_sandbox_gives_is_valid_for_the_document(ai, sent):
    problems = {}
    for i, q in enumerate(sent):
        r = post(ai, q["path"], q["body"])
        assert r.status_code == 200, r.text
        problems[f"{q['path']} #{i}"] = errors(openai_response(q["path"]), r.json())
    models = httpx.get(f"{ai.base_url}/v1/models", headers=headers(), timeout=10)
    problems["/models"] = errors(openai_response("/models", "get"), models.json())
    assert not {k: v for k, v in problems.items() if v}


@pytest.mark.parametrize("path", sorted(REQUEST_SCHEMAS))
def test_the_sandbox_knows_no_parameter_the_document_does_not_declare(path):
    assert SANDBOX_PARAMS[path] <= openai_properties(REQUEST_SCHEMAS[path])


def deref(schema: dict[str, Any]) -> dict[str, Any]:
    doc, _ = _openai()
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def declared(name: str) -> dict[str, dict[str, Any]]:
    doc, _ = _openai()
    out: dict[str, dict[str, Any]] = {}

    def walk(schema: dict[str, Any]) -> None:
        schema = deref(schema)
        out.update(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            walk(part)

    walk(doc["components"]["schemas"][name])
    return out


def refused_by(schema: dict[str, Any], value: Any) -> bool:
    """Whether the property's own schema (its refs resolved in the document) refuses ``value``."""
    import json

    import jsonschema

    _, registry = _openai()
    absolute = json.loads(json.dumps(schema).replace('"#/components/', '"urn:openai#/components/'))
    return not jsonschema.Draft202012Validator(absolute, registry=registry).is_valid(value)


def refusals(path: str) -> list[tuple[str, Any]]:
    """(parameter, value) pairs the document refuses: past each bound, outside each enumerated string (when no
    other form of the parameter takes the value, e.g. gpt-image-2's free ``WxH`` sizes)."""
    cases = []
    properties = declared(REQUEST_SCHEMAS[path])
    for name, schema in sorted(declared(REQUEST_SCHEMAS[path]).items()):
        if name in NOT_MUTATED:
            continue
        schema = deref(schema)
        options = [schema, *(deref(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))]
        for option in options:
            if option.get("maximum") is not None:
                cases.append((name, option["maximum"] + 1))
            if option.get("minimum") is not None:
                cases.append((name, option["minimum"] - 1))
            if option.get("enum") and all(isinstance(v, str) for v in option["enum"]):
                cases.append((name, "not-a-documented-value"))
    return [(name, value) for name, value in dict.fromkeys(cases) if refused_by(properties[name], value)]


def base_request(sent, path: str) -> dict[str, Any]:
    return copy.deepcopy(next(q["body"] for q in sent if q["path"] == path))


CASES = [(path, name, value) for path in sorted(REQUEST_SCHEMAS) for name, value in refusals(path)]


def test_the_document_declares_the_refusals_this_suite_sends():
    names = {(path, name) for path, name, _ in CASES}
    assert {("/chat/completions", "n"), ("/chat/completions", "temperature"), ("/images/generations", "n"),
            ("/images/generations", "quality"), ("/embeddings", "dimensions"),
            ("/embeddings", "encoding_format")} <= names


@pytest.mark.parametrize(("path", "name", "value"), CASES, ids=[f"{p}:{n}={v}" for p, n, v in CASES])
def test_the_sandbox_refuses_what_the_document_refuses(ai, sent, path, name, value):
    body = base_request(sent, path) | {name: value}
    assert errors(openai_request(path), body), "the document accepts it: not a refusal"
    r = post(ai, path, body)
    assert r.status_code == 400, (name, value, r.text)
    assert r.json()["error"]["param"] == name


@pytest.mark.parametrize("path", sorted(REQUEST_SCHEMAS))
def test_an_unknown_parameter_is_refused(ai, sent, path):
    assert "frobnicate" not in openai_properties(REQUEST_SCHEMAS[path])
    r = post(ai, path, base_request(sent, path) | {"frobnicate": 1})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_parameter", r.text


def strict_chat(sent, schema: dict[str, Any]) -> dict[str, Any]:
    body = next(q["body"] for q in sent if q["path"] == "/chat/completions" and "response_format" in q["body"])
    body = copy.deepcopy(body)
    body["response_format"] = {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": schema}}
    return body


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},  # additionalProperties missing
    {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
     "required": ["a"]},  # a property not required
    {"type": "object", "additionalProperties": False, "required": ["a"], "properties": {"a": {
        "type": "array", "items": {"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"]}}}},
    {"anyOf": [{"type": "object"}, {"type": "string"}]},  # the root is not an object
], ids=["no-additionalProperties", "optional-property", "nested-open-object", "root-anyOf"])
def test_a_schema_strict_mode_rejects_is_refused(ai, sent, schema):
    body = strict_chat(sent, schema)
    assert not errors(openai_request("/chat/completions"), body)  # the document's shape holds; the rule is strict mode
    r = post(ai, "/chat/completions", body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json_schema", r.text


def test_every_schema_lily_sends_is_taken_by_strict_mode(ai, sent):
    for q in sent:
        if "response_format" in q["body"]:
            assert q["body"]["response_format"]["json_schema"]["strict"] is True
            assert post(ai, "/chat/completions", q["body"]).status_code == 200
