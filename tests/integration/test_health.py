"""GET /health and /health/deep through the local gateway against the emulator."""

from lily.core.aws import client
from lily.core.resources import bucket_name


def test_health_reports_version_stage_and_function_count(http):
    r = http.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["stage"] == "test"
    from lily.core.functions import discover

    assert body["function_count"] == len(discover())


def test_deep_health_checks_every_dependency_with_latency(http):
    r = http.get("/health/deep")
    assert r.status_code == 200, r.text
    checks = {c["name"]: c for c in r.json()["checks"]}
    assert set(checks) == {"dynamodb", "s3", "sqs", "kms"}
    assert all(c["ok"] and c["latency_ms"] >= 0 for c in checks.values())


def test_deep_health_is_degraded_when_a_dependency_is_missing(http):
    client("s3").delete_bucket(Bucket=bucket_name("media"))
    r = http.get("/health/deep")
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
