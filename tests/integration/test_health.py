"""GET /health and /health/deep through the local gateway against the emulator."""

import hashlib

import pytest

from lily.core import clock
from lily.core.aws import client
from lily.core.config import reset_settings
from lily.core.resources import bucket_name
from tests.support.identity import make_super_admin, register_user


@pytest.fixture
def operator(monkeypatch):
    """Monitors send the operator token; the deployment holds only its sha256."""
    token = "monitor-token-for-tests"
    monkeypatch.setenv("LILY_HEALTH_OPERATOR_TOKEN_SHA256", hashlib.sha256(token.encode()).hexdigest())
    reset_settings()
    yield {"X-Operator-Token": token}
    monkeypatch.delenv("LILY_HEALTH_OPERATOR_TOKEN_SHA256")
    reset_settings()


def test_health_reports_version_stage_and_function_count(http):
    r = http.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["stage"] == "test"
    from lily.core.functions import discover

    assert body["function_count"] == len(discover())


def test_deep_health_needs_a_platform_admin_or_the_operator_token(http, operator):
    assert http.get("/health/deep").status_code == 401
    assert http.get("/health/deep", headers={"X-Operator-Token": "guessed"}).status_code == 401
    member = register_user(http)
    assert http.get("/health/deep", headers=member["headers"]).status_code == 403
    admin = make_super_admin(http, register_user(http))
    assert http.get("/health/deep", headers=admin["headers"]).status_code == 200
    assert http.get("/health/deep", headers=operator).status_code == 200
    assert http.get("/health").status_code == 200  # liveness stays public


def test_deep_health_is_rate_limited_and_liveness_is_not(http, operator, monkeypatch):
    monkeypatch.setenv("LILY_RATE_LIMIT_IP", "3")
    reset_settings()
    with clock.freeze(clock.now_ts()):  # one rate-limit window
        codes = [http.get("/health/deep", headers=operator).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429
    assert all(http.get("/health").status_code == 200 for _ in range(5))
    monkeypatch.delenv("LILY_RATE_LIMIT_IP")
    reset_settings()


def test_deep_health_checks_every_dependency_with_latency(http, operator):
    r = http.get("/health/deep", headers=operator)
    assert r.status_code == 200, r.text
    checks = {c["name"]: c for c in r.json()["checks"]}
    assert set(checks) == {"dynamodb", "s3", "sqs", "kms"}
    assert all(c["ok"] and c["latency_ms"] >= 0 for c in checks.values())


def test_deep_health_is_degraded_when_a_dependency_is_missing(http, operator):
    client("s3").delete_bucket(Bucket=bucket_name("media"))
    r = http.get("/health/deep", headers=operator)
    assert r.status_code == 503
    checks = {c["name"]: c for c in r.json()["checks"]}
    assert checks["s3"]["ok"] is False and checks["s3"]["error"]
    assert checks["dynamodb"]["ok"] is True


def test_openapi_and_docs_are_served(http):
    doc = http.get("/openapi.json").json()
    assert "/health/deep" in doc["paths"]
    assert http.get("/docs").status_code == 200


def test_unknown_path_is_a_json_404(http):
    r = http.get("/no/such/route")
    assert r.status_code == 404 and r.json()["error"]["code"] == "VALIDATION_004"
