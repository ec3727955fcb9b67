"""The OpenAPI document states what the server checks, where a schema can state it (issue 21, found by schemathesis
with every check): a request the document calls valid is not refused for its shape, and a request the server refuses
for its shape is one the document already calls invalid. Rules no schema can state (an expired token, a cursor the
API did not issue, a cross-field rule) stay in code and in the fields' descriptions, answered with Lily's error body
under a declared status.
"""

from __future__ import annotations

from typing import Annotated

import jsonschema
import pytest
from pydantic import Field, TypeAdapter, ValidationError

from lily.core.fields import NOT_BLANK
from lily.social.platforms import PLATFORMS
from tests.support.billing import set_plan
from tests.support.identity import create_org, register_user

ORG = "/api/orgs/{org_id}"
# Routes that honour an Idempotency-Key (functions/content, functions/billing).
IDEMPOTENT = {("post", ORG + "/posts"), ("post", ORG + "/posts/{post_id}/schedule"),
              ("post", ORG + "/billing/checkout"), ("post", ORG + "/billing/portal"), ("post", ORG + "/billing/cancel"),
              ("post", ORG + "/billing/resume"), ("post", ORG + "/billing/change-plan")}


@pytest.fixture
def doc(http):
    return http.get("/openapi.json").json()


@pytest.fixture
def org(http):
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "pro")  # research configs are a Pro feature: a valid body then answers 201, not 403
    return user["headers"], org_id


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                yield path, method, op


def _operation(doc, method, path):
    return doc["paths"][path][method]


def _resolved(doc, schema):
    return _resolved(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]) if "$ref" in schema \
        else schema


def _valid_body(doc, method, path, body) -> bool:
    schema = _operation(doc, method, path)["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator({**schema, "components": doc["components"]})
    return validator.is_valid(body)


def test_every_platform_path_parameter_is_an_enum_of_the_four_platforms(doc):
    found = []
    for path, method, op in _operations(doc):
        for param in op.get("parameters", []):
            if param["in"] == "path" and param["name"] == "platform":
                found.append((method, path))
                assert _resolved(doc, param["schema"]).get("enum") == list(PLATFORMS), (path, param)
    assert sorted(found) == [("get", "/api/social/callback/{platform}"), ("post", ORG + "/social/connect/{platform}"),
                             ("post", ORG + "/social/connect/{platform}/complete")]
    validate = _operation(doc, "post", ORG + "/social/validate")
    body = _resolved(doc, validate["requestBody"]["content"]["application/json"]["schema"])
    assert _resolved(doc, body["properties"]["platform"]).get("enum") == list(PLATFORMS)


def test_an_unknown_platform_is_a_schema_error(http, org):
    headers, org_id = org
    for r in (http.post(f"/api/orgs/{org_id}/social/connect/myspace", headers=headers),
              http.get("/api/social/callback/myspace?state=s&code=c"),
              http.post(f"/api/orgs/{org_id}/social/validate", headers=headers, json={"platform": "", "text": "hi"})):
        assert r.status_code == 422, r.text
        errors = r.json()["error"]["details"]["errors"]
        assert [e["type"] for e in errors] == ["literal_error"], errors


def test_the_idempotency_key_header_is_declared_with_its_rule_on_every_route_that_honours_it(doc):
    declared = {}
    for path, method, op in _operations(doc):
        for param in op.get("parameters", []):
            if param["in"] == "header" and param["name"].lower() == "idempotency-key":
                declared[(method, path)] = param
    assert set(declared) == IDEMPOTENT
    for operation_id, param in declared.items():
        schema = next(s for s in _resolved(doc, param["schema"]).get("anyOf", [param["schema"]])
                      if s.get("type") == "string")
        assert schema["minLength"] == 1 and schema["maxLength"] in (100, 255), (operation_id, schema)
        assert param.get("description"), operation_id
        check = jsonschema.Draft202012Validator(schema)
        assert check.is_valid("order-7f3a 2026-01-01") and check.is_valid("k")
        for refused in (" k", "k ", "clé", "a\tb", ""):
            assert not check.is_valid(refused), (operation_id, refused)


def test_an_idempotency_key_the_document_refuses_is_a_schema_error(http, org):
    headers, org_id = org
    r = http.post(f"/api/orgs/{org_id}/posts", headers={**headers, "Idempotency-Key": "k" * 256}, json={"text": "hi"})
    assert r.status_code == 422, r.text
    assert [e["type"] for e in r.json()["error"]["details"]["errors"]] == ["string_too_long"]
    r = http.post(f"/api/orgs/{org_id}/posts", headers={**headers, "Idempotency-Key": "k" * 255}, json={"text": "hi"})
    assert r.status_code == 201, r.text


RESEARCH = {"name": "n", "industry": "HR"}
# (method, path under the org, a body the server refuses for its shape, a schema-valid neighbour or None)
SHAPES = [
    ("put", "/brand", {"example_posts": [""]}, {"example_posts": ["a"]}),
    ("put", "/brand", {"keywords": ["k" * 61]}, {"keywords": ["k" * 60]}),
    ("put", "/brand", {"ctas": {"x": {"engagement": "   "}}}, {"ctas": {"x": {"engagement": "Go"}}}),
    ("put", "/brand", {"default_hashtags": ["#1_"]}, {"default_hashtags": ["#café", "fleet ops"]}),
    ("put", "/brand", {"keywords": ["\x85"]}, {"keywords": ["\ufeffa"]}),
    ("post", "/social/validate", {"platform": "x", "media": [{"content_type": "image/png", "size_bytes": False}]},
     {"platform": "x", "media": [{"content_type": "image/png", "size_bytes": 1}]}),
    ("put", "/images/settings", {"palette": ["#000000"] * 7}, {"palette": ["#000000"] * 6}),
    ("put", "/images/settings", {"avoid_colors": ["#000000"] * 7}, {"avoid_colors": ["#000000", "#FFFFFF"]}),
    ("put", "/images/settings", {"fonts": ["f" * 61]}, {"fonts": ["Inter", "inter", " "]}),
    ("put", "/images/settings", {"fonts": ["f"] * 11}, {"fonts": ["f"] * 10}),
    ("post", "/images/styles", {"name": "s", "palette": ["#000000"] * 7}, {"name": "s", "palette": ["#000000"]}),
    ("post", "/images/styles", {"name": "s", "avoid": ["a" * 61]}, {"name": "t", "avoid": ["a"]}),
    ("post", "/images", {"prompt": "a lighthouse", "custom_options": {"Bad-Key": 1}}, None),
    ("post", "/images", {"prompt": "a lighthouse", "brand_keywords": ["k"] * 21}, None),
    ("post", "/research/configs", {**RESEARCH, "feeds": [""]}, {**RESEARCH, "feeds": ["https://example.com/f.rss"]}),
    ("post", "/research/configs", {**RESEARCH, "feeds": ["ftp://a/b"]}, None),
    ("post", "/research/configs", {**RESEARCH, "topics": ["  "]}, {**RESEARCH, "topics": ["AI"]}),
    ("post", "/research/configs", {**RESEARCH, "topics": ["t" * 121]}, None),
    ("post", "/research/configs", {**RESEARCH, "competitors": ["\x1f"]}, None),
    ("post", "/research/configs", {**RESEARCH, "feeds": ["https://example.com/\x85feed"]}, None),
]


def test_a_body_refused_for_its_shape_is_one_the_document_calls_invalid(http, doc, org):
    """One test over every case (one organization): the emulator-backed fixtures cost more than the requests."""
    headers, org_id = org
    for method, path, bad, good in SHAPES:
        assert not _valid_body(doc, method, ORG + path, bad), f"the document calls {bad} valid ({method} {path})"
        r = http.request(method.upper(), f"/api/orgs/{org_id}{path}", headers=headers, json=bad)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "VALIDATION_001"), (bad, r.text)
        if good is not None:
            assert _valid_body(doc, method, ORG + path, good), good
            r = http.request(method.upper(), f"/api/orgs/{org_id}{path}", headers=headers, json=good)
            assert r.status_code in (200, 201), (good, r.text)


def test_not_blank_refuses_every_character_python_strips():
    """JSON Schema's \\S, pydantic's and str.strip disagree on white space; NOT_BLANK refuses them all."""
    check = TypeAdapter(Annotated[str, Field(pattern=NOT_BLANK)])
    for c in (chr(i) for i in range(0x3001)):
        if c.isspace():
            with pytest.raises(ValidationError):
                check.validate_python(c * 3)
    assert check.validate_python(" a ") == " a "
    assert jsonschema.Draft202012Validator({"pattern": NOT_BLANK}).is_valid(" a ")
    for c in ("\x1c", "\x1f", "\x85", "\u2028", "\u3000"):
        assert not jsonschema.Draft202012Validator({"pattern": NOT_BLANK}).is_valid(c)


def test_a_media_type_a_platform_refuses_is_invalid_input_not_a_payload_too_large(http, doc, org):
    headers, org_id = org
    op = _operation(doc, "post", ORG + "/media/uploads")
    assert {"413", "422"} <= set(op["responses"])
    r = http.post(f"/api/orgs/{org_id}/media/uploads", headers=headers,
                  json={"filename": "cat.gif", "content_type": "image/gif", "size": 1, "platforms": ["instagram"]})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "VALIDATION_001"
    assert r.json()["error"]["details"] == {"platform": "instagram", "content_type": "image/gif"}


def test_every_error_status_is_declared_with_lilys_error_body(doc):
    for path, method, op in _operations(doc):
        for status, response in op["responses"].items():
            if status.startswith("4"):
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                assert ref == "#/components/schemas/ErrorBody", (method, path, status)
    # The business rules a schema cannot state answer these statuses (tests/contract/test_fuzz.py)
    for method, path, status in (("post", ORG + "/social/connect/{platform}", "400"),
                                 ("get", "/api/social/callback/{platform}", "400"),
                                 ("post", ORG + "/social/connect/{platform}/complete", "400"),
                                 ("post", "/webhooks/stripe", "400"), ("post", "/api/auth/register", "422"),
                                 ("post", ORG + "/posts/{post_id}/schedule", "422"), ("get", "/api/orgs", "422")):
        assert status in _operation(doc, method, path)["responses"], (method, path, status)
