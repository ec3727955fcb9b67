"""One error body, one status mapping, security headers on every answer, never a 500 for bad input."""

from fastapi import Body
from fastapi.testclient import TestClient
from pydantic import BaseModel

from lily.core.errors import ErrorCode, LilyError, not_found
from lily.core.http import SECURITY_HEADERS, create_app


class Item(BaseModel):
    name: str
    count: int


def _app():
    app = create_app("t")

    @app.post("/items")
    def make(item: Item = Body(...)):
        return item

    @app.get("/items/{item_id}")
    def get(item_id: str):
        raise not_found("item", item_id=item_id)

    @app.get("/limited")
    def limited():
        raise LilyError(ErrorCode.PLAN_002, details={"limit": 5}, headers={"Retry-After": "60"})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret-internal-detail")

    return app


def test_every_code_has_a_status_and_message():
    for code in ErrorCode:
        assert 400 <= code.status <= 599
        assert code.default_message


def test_validation_error_is_422_with_code_and_details():
    r = TestClient(_app()).post("/items", json={"name": 3})
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["code"] == "VALIDATION_001"
    assert {tuple(e["loc"]) for e in body["details"]["errors"]} >= {("body", "count")}
    assert body["request_id"] == r.headers["x-request-id"]


def test_malformed_json_is_422_not_500():
    r = TestClient(_app()).post("/items", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "VALIDATION_001"


def test_lily_error_maps_status_and_headers():
    client = TestClient(_app())
    r = client.get("/items/abc")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "VALIDATION_004")
    r = client.get("/limited")
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    assert r.json()["error"]["details"] == {"limit": 5}


def test_unknown_route_and_method_use_the_error_body():
    client = TestClient(_app())
    assert client.get("/nope").json()["error"]["code"] == "VALIDATION_004"
    r = client.delete("/items")
    assert r.status_code == 405 and r.json()["error"]["code"] == "VALIDATION_001"


def test_unexpected_error_is_a_generic_500_without_internals():
    r = TestClient(_app(), raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "SYSTEM_001"
    assert "secret-internal-detail" not in r.text


def test_security_headers_on_every_response():
    client = TestClient(_app())
    for r in (client.get("/items/x"), client.post("/items", json={"name": "a", "count": 1})):
        for name in SECURITY_HEADERS:
            assert name.lower() in r.headers
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_request_id_is_propagated():
    r = TestClient(_app()).get("/items/x", headers={"X-Request-Id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert r.json()["error"]["request_id"] == "abc-123"
