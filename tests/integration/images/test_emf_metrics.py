"""The audit's metrics, each found with its labels in the EMF that Powertools prints, emitted by the code paths that
own them (HTTP routes, webhooks, the queue workers and the scheduled jobs in local mode). The publish lag is found
the same way in ``tests/integration/publishing/test_pipeline.py``.

Lives with the image tests for their sandboxes (OpenAI-compatible, Meta, X), started once per process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from lily.billing.webhooks import sign
from lily.core import clock, ids
from lily.core.errors import LilyError
from lily.identity import ratelimit, tokens
from lily.local.sandboxes.stripe import local_keys
from lily.local.secret_values import SOCIAL_APP_SECRETS
from tests.helpers import drain
from tests.integration.images.conftest import on_plan, run_job, submit


def _stripe(http, type_: str, obj: dict, secret: str | None = None) -> int:
    body = json.dumps({"id": ids.new_id("evt"), "object": "event", "type": type_, "created": int(clock.now_ts()),
                       "livemode": False, "data": {"object": obj}}).encode()
    return http.post("/webhooks/stripe", content=body,
                     headers={"Stripe-Signature": sign(body, secret or local_keys()["webhook_secret"])}).status_code


def _x_delivery(http, account: str, signed_with: str) -> int:
    at = clock.now_ts()
    raw = json.dumps({"for_user_id": account, "tweet_create_events": [{
        "id_str": str(int(at * 1000)), "text": "@lily hello", "timestamp_ms": str(int(at * 1000)),
        "user": {"id_str": "2244994945", "screen_name": "fan"}, "entities": {"user_mentions": [{"id_str": account}]},
    }]}, separators=(",", ":")).encode()
    mac = base64.b64encode(hmac.new(signed_with.encode(), raw, hashlib.sha256).digest()).decode()
    return http.post("/webhooks/x", content=raw, headers={"Content-Type": "application/json",
                                                          "x-twitter-webhooks-signature": "sha256=" + mac}).status_code


def test_every_audit_metric_is_emitted_as_emf_with_its_labels(http, local_suite, owner, sandbox, emf):
    org_id = owner["org_id"]
    tokens._clear()  # jwt_cache_misses_total: the first request after a cold start fetches the keys again
    # plan_limit_hits_total: API keys are not in the free plan
    r = http.post(f"/api/orgs/{org_id}/api-keys", headers=owner["headers"], json={"name": "k", "scopes": []})
    assert r.status_code == 403 and r.json()["error"]["code"] == "PLAN_001"
    # rate_limit_hits_total: the limiter every route's middleware calls, over its limit
    with pytest.raises(LilyError):
        ratelimit.enforce("ip#203.0.113.9", "emf", 0)
    # image_quality_score, image_generation_duration_seconds, quota_utilization_percent: one image job
    on_plan(owner, "pro")
    done = run_job(http, local_suite, owner, submit(http, owner, quality="premium", platform="instagram"))
    assert done["status"] == "done", done
    # stripe_webhooks_total (refused, then accepted and processed), stripe_webhook_processing_seconds,
    # webhook_signature_failures_total
    assert _stripe(http, "invoice.paid", {"id": "in_1", "object": "invoice"}, secret="whsec_forged") == 400
    assert _stripe(http, "invoice.paid", {"id": "in_2", "object": "invoice", "customer": "cus_emf"}) == 200
    # social_webhook_events_total: a signed X delivery (the worker drops it later: no org has that account)
    assert _x_delivery(http, "1234567890", SOCIAL_APP_SECRETS["x_consumer_secret"]) == 200
    assert _x_delivery(http, "1234567890", "not-the-secret") in (400, 401, 403)
    drain(local_suite)
    # dlq_items_total: the heartbeat schedule reports every queue's DLQ
    ops = next(c for c in local_suite.clocks if c.spec.name == "heartbeat")
    assert ops.fire()["dlq_items"]["publish"] == 0

    expected = {
        "plan_limit_hits_total": {"feature": "api_keys", "plan": "free"},
        "rate_limit_hits_total": {"route_class": "emf", "kind": "ip"},
        "jwt_cache_hits_total": {"scope": "verify"},
        "jwt_cache_misses_total": {"scope": "verify"},
        "stripe_webhooks_total": {"event_type": "invoice.paid", "status": "skipped"},
        "stripe_webhook_processing_seconds": {"event_type": "invoice.paid"},
        "social_webhook_events_total": {"platform": "x", "type": "mention", "status": "accepted"},
        "webhook_signature_failures_total": {"platform": "x"},
        "image_quality_score": {"model": "gpt_image_1", "quality": "premium", "platform": "instagram"},
        "image_generation_duration_seconds": {"model": "gpt_image_1", "quality": "premium", "outcome": "generated"},
        "quota_utilization_percent": {"feature": "image_generations", "plan": "pro"},
        "dlq_items_total": {"queue": "publish"},
        "ai_provider_calls_total": {"provider": "openai", "result": "ok"},
    }
    missing = {name: dims for name, dims in expected.items() if not emf.find(name, **dims)}
    assert missing == {}, f"not in the captured EMF: {missing}"
    assert emf.find("stripe_webhooks_total", event_type="unknown", status="bad_signature")
    assert emf.find("webhook_signature_failures_total", platform="stripe")
    # every document is CloudWatch EMF in Lily's namespace
    assert {d["Namespace"] for doc in emf.documents for d in doc["_aws"]["CloudWatchMetrics"]} == {"Lily"}
