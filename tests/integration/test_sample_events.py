"""Every function has a real-shaped sample event in events/, and its handler does its work on it."""

import json

import pytest

from lily.core.config import reset_settings
from lily.core.functions import Http, Queue, Schedule, discover, load_handler_module
from lily.local.context import LocalContext
from tests.helpers import EVENTS, load_event
from tests.support.billing import set_plan
from tests.support.identity import auth_headers, create_org, make_super_admin, register_user
from tests.support.sandboxes import running_sandboxes

SPECS = discover()
HTTP_SPECS = [s for s in SPECS if isinstance(s.trigger, Http)]
QUEUE_SPECS = [s for s in SPECS if isinstance(s.trigger, Queue)]
SCHEDULE_SPECS = [s for s in SPECS if isinstance(s.trigger, Schedule)]
SAMPLE_ORG_IDS = ("org_01jdsample00000000000000001", "org_01jd3xk6z7m8n9p0q1r2s3t4v5")

# What each HTTP function answers to its sample event once the caller is real: (status, a key of the body).
HTTP_OUTCOMES = {
    "admin": (200, "action"),  # the audit log of today: a page of entries
    "analytics": (200, "total"),  # the per-platform table of a new org: empty rows, zero totals
    "approvals": (200, "items"),  # the approval queue of a new org: an empty page
    "autopilot": (200, "items"),  # the autopilot runs of a new org: an empty page
    "automation": (200, "items"),  # the recurring rules of a new pro org: an empty page
    "auth": (200, "access_token"),
    "billing": (200, "plan_id"),  # the public plans: a list
    "console": (200, "<h1>Sign in</h1>"),  # a page (HTML): the sign-in form
    "publishing": (201, "post_id"),
    "content": (201, "drafts"),
    "health": (200, "checks"),
    "images": (202, "job_id"),
    "inbox": (200, "items"),  # the org's inbox: an empty page
    "links": (404, "error"),  # a short code Lily never issued: Lily's error body, no redirect anywhere
    "orgs": (200, "role"),  # the members of the org: a page, the caller among them
    "privacy": (200, "tables"),  # the retention registry: every table's rule
    "publishing_admin": (200, "requeued"),
    "research": (200, "items"),  # the org's research configs: a page
    "social": (200, "platforms"),
    "social_webhook": (200, "response_token"),  # X's CRC check
    "stripe_webhook": (200, "event_id"),
    "webhooks": (200, "type"),  # the event types a subscription may name
}


# What each scheduled job reports on a fresh deployment (nothing due, nothing to check).
SCHEDULE_REPORTS = {
    "analytics_schedule": {"messages": 0, "refused": 0},
    "autopilot_schedule": {"due": 0, "queued": 0, "refused": 0, "failed": 0},
    "autopilot_weekly": {"orgs": 0, "stored": 0, "failed": 0},
    "automation_schedule": {"recurring_created": 0, "recurring_missed": 0, "recurring_duplicates": 0,
                            "recurring_refused": 0, "evergreen_created": 0, "evergreen_exhausted": 0,
                            "evergreen_refused": 0, "feeds_polled": 0, "feeds_failed": 0, "feed_posts": 0},
    "mentions_poll": {"polled": 0, "queued": 0, "skipped": 0, "failed": 0, "outcomes": {}},
    "dispatcher": {"due": 0, "dispatched": 0, "watchdog": 0, "cleaned": 0, "lost": 0, "waiting": 0, "error": 0},
    "research_schedule": {"due": 0, "queued": 0, "refused": 0, "failed": 0},
    "subscription_reaper": {"scanned": 0, "resynced": 0, "downgraded": 0, "upgraded": 0, "errors": 0},
    "token_health": {"checked": 0, "outcomes": {}},
    "privacy_schedule": {"queued": 0},
    "quota_reconcile": {"gauges": [
        {"quota": q, "organizations": 0, "drift": 0, "corrected": 0, "raced": 0}
        for q in ("social_profiles", "team_seats")]},
}


@pytest.fixture(scope="module")
def ai_sandbox():
    """The OpenAI-compatible sandbox that the content function's real client calls."""
    with running_sandboxes(["openai"]) as started:
        yield started["openai"]


def _run(spec, event):
    return load_handler_module(spec).handler(event, LocalContext(spec.name, spec.memory_mb, spec.timeout_s))


def _with_real_caller(name: str, event: dict, http) -> dict:
    """The sample event as a real caller sends it: a live token, its own org, a valid signature."""
    from lily.billing.webhooks import sign
    from lily.local.secret_values import STRIPE_KEYS

    if name == "stripe_webhook":
        event["headers"]["stripe-signature"] = sign(event["body"].encode(), STRIPE_KEYS["webhook_secret"])
        return event
    if name == "auth":
        credentials = json.loads(event["body"])
        register_user(http, credentials["email"], credentials["password"])
        return event
    if "authorization" not in event["headers"]:
        return event
    # a platform admin (the admin, publishing_admin and deep-health routes need one; members need nothing more)
    user = make_super_admin(http, register_user(http))
    event["headers"]["authorization"] = auth_headers(user["token"])["Authorization"]
    org_id = create_org(http, user["headers"])
    if name == "automation":  # recurring posts are advanced scheduling: the pro plan
        set_plan(org_id, "pro")
    text = json.dumps(event)
    for sample in SAMPLE_ORG_IDS:
        text = text.replace(sample, org_id)
    return json.loads(text)


def test_every_function_has_a_sample_event():
    missing = [s.name for s in SPECS if not (EVENTS / f"{s.name}.json").is_file()]
    assert not missing, f"add events/<name>.json for: {missing}"


def test_every_http_function_has_an_expected_outcome():
    assert set(HTTP_OUTCOMES) == {s.name for s in HTTP_SPECS}


@pytest.mark.parametrize("spec", HTTP_SPECS, ids=[s.name for s in HTTP_SPECS])
def test_http_handler_does_its_work_on_its_sample_event(spec, http, request):
    if spec.name in ("content", "images"):
        request.getfixturevalue("ai_sandbox")
        # The suite's workers built their AI adapters at init, before the sandbox's address was in the
        # environment: settings (and every bundle built on them) are read again, as a fresh process would.
        reset_settings()
    event = load_event(spec.name)
    assert event["version"] == "2.0" and "requestContext" in event
    result = _run(spec, _with_real_caller(spec.name, event, http))
    status, key = HTTP_OUTCOMES[spec.name]
    assert result["statusCode"] == status, result
    assert "x-request-id" in {k.lower() for k in result["headers"]}
    if {k.lower(): v for k, v in result["headers"].items()}.get("content-type", "").startswith("text/html"):
        assert key in result["body"], result["body"][:500]
        return
    body = json.loads(result["body"])
    if isinstance(body, dict) and key in body:  # one object, or a page checked as such (research: "items")
        first = body
    else:  # a list, or a page: its first item
        first = body[0] if isinstance(body, list) else body["items"][0]
    assert key in first, body


@pytest.mark.parametrize("spec", QUEUE_SPECS, ids=[s.name for s in QUEUE_SPECS])
def test_queue_handler_accepts_its_sample_event(spec, lily_env):
    event = load_event(spec.name)
    assert all(r["eventSource"] == "aws:sqs" for r in event["Records"])
    assert _run(spec, event) == {"batchItemFailures": []}


@pytest.mark.parametrize("spec", SCHEDULE_SPECS, ids=[s.name for s in SCHEDULE_SPECS])
def test_scheduled_job_reports_its_work_on_its_sample_event(spec, lily_env):
    event = load_event(spec.name)
    assert event["detail-type"] == "Scheduled Event"
    result = _run(spec, event)
    if spec.name == "heartbeat":  # the beat it enqueued for heartbeat_worker, and every DLQ's depth
        assert set(result) == {"beat_id", "dlq_items"} and result["beat_id"].startswith("beat_"), result
        assert set(result["dlq_items"].values()) == {0}, result
    elif spec.name == "jwt_rotation":  # a fresh deployment's key is young: nothing to do (its kid varies)
        assert result["step"] == "nothing" and result["kid"], result
    else:
        assert result == SCHEDULE_REPORTS[spec.name], result


def test_every_scheduled_job_has_an_expected_report():
    assert {*SCHEDULE_REPORTS, "heartbeat", "jwt_rotation"} == {s.name for s in SCHEDULE_SPECS}


@pytest.mark.parametrize("spec", QUEUE_SPECS, ids=[s.name for s in QUEUE_SPECS])
def test_a_malformed_record_fails_alone(spec, lily_env):
    # Given the sample batch plus a record that is not JSON and one that is JSON but not the message
    event = load_event(spec.name)
    good = event["Records"][0]
    not_json = {**good, "messageId": "00000000-0000-4000-8000-00000000bad1", "body": "not json at all"}
    wrong_shape = {**good, "messageId": "00000000-0000-4000-8000-00000000bad2", "body": '{"unexpected": true}'}
    event["Records"] = [not_json, *event["Records"], wrong_shape]
    # When the worker handles the batch
    result = _run(spec, event)
    # Then exactly the two bad records are reported as item failures (SQS retries them, then the DLQ keeps them)
    assert result == {"batchItemFailures": [{"itemIdentifier": not_json["messageId"]},
                                            {"itemIdentifier": wrong_shape["messageId"]}]}, result
