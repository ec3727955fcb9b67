"""The console's client against the API's own OpenAPI document: every call's method and path exist, every body
field it sends is a property of the route's request schema, every query parameter is declared. An API change the
console does not follow fails here, before any browser."""

from __future__ import annotations

from functools import cache

import pytest

from lily.console.client import CALLS, Call
from lily.core.config import get_settings
from lily.core.functions import Http, discover, load_handler_module
from lily.local.gateway import merged_openapi


@cache
def document() -> dict:
    apps = [load_handler_module(s).app for s in discover() if isinstance(s.trigger, Http) and s.name != "console"]
    return merged_openapi(apps, get_settings().version)


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            resolved = _resolve(doc, option)
            if resolved.get("properties"):
                return resolved
    return schema


def problems(doc: dict, call: Call) -> list[str]:
    operation = doc["paths"].get(call.path, {}).get(call.method.lower())
    if operation is None:
        return [f"{call.method} {call.path} is not in the API"]
    out = []
    if call.body:
        content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
        if content is None:
            return [f"{call.method} {call.path} takes no JSON body, the console sends {list(call.body)}"]
        properties = _resolve(doc, content["schema"]).get("properties", {})
        out += [f"{call.method} {call.path}: no body field {f!r}" for f in call.body if f not in properties]
    declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    out += [f"{call.method} {call.path}: no query parameter {q!r}" for q in call.query if q not in declared]
    return out


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_console_call_exists_in_the_api_document(name):
    assert problems(document(), CALLS[name]) == []


def test_the_check_fails_on_a_path_a_method_a_field_or_a_parameter_the_api_does_not_have():
    doc = document()
    assert problems(doc, Call("GET", "/api/orgs/{org_id}/nothing-here"))
    assert problems(doc, Call("PUT", "/api/orgs/{org_id}/posts/{post_id}/schedule", ("scheduled_at",)))
    assert problems(doc, Call("POST", "/api/orgs/{org_id}/posts", ("text", "no_such_field")))
    assert problems(doc, Call("GET", "/api/orgs/{org_id}/posts", query=("no_such_param",)))
    assert problems(doc, Call("POST", "/api/orgs/{org_id}/posts", ("text",))) == []


def test_the_client_refuses_to_send_a_field_its_call_does_not_declare():
    from lily.console.client import LilyClient

    client = LilyClient("http://127.0.0.1:9")
    with pytest.raises(ValueError, match="not declared"):
        client.call("create_org", body={"name": "x", "owner": "someone"})
