"""Start local mode as a subprocess, drive it over HTTP, stop it with SIGTERM."""

import signal
import time

from tests.e2e.conftest import OPERATOR_TOKEN, LocalMode


def test_local_mode_serves_health_and_deep_health(local_mode):
    assert local_mode.client.get("/health").json()["status"] == "ok"
    deep = local_mode.client.get("/health/deep", headers={"X-Operator-Token": OPERATOR_TOKEN})
    assert deep.status_code == 200, deep.text
    assert {c["name"] for c in deep.json()["checks"]} == {"dynamodb", "s3", "sqs", "kms"}
    assert "/health" in local_mode.client.get("/openapi.json").json()["paths"]


def test_schedule_to_queue_to_worker_in_local_mode(local_mode):
    fired = local_mode.client.post("/_local/schedules/heartbeat/fire")
    assert fired.status_code == 200
    deadline = time.monotonic() + 20
    recorded = 0
    while time.monotonic() < deadline and not recorded:
        metrics = local_mode.client.get("/_local/metrics").json()
        recorded = sum(s["value"] for s in metrics.get("heartbeats_recorded_total", []))
        time.sleep(0.2)
    assert recorded >= 1, local_mode.output()


def test_sigterm_stops_local_mode_cleanly():
    lm = LocalMode()
    lm.wait_ready()
    code = lm.stop(signal.SIGTERM)
    assert code == 0, lm.output()
    assert "Lily local mode stopped" in lm.output()
