"""The operator commands the runbooks name (``python -m functions.admin_cli ...``), against a provisioned deployment,
and the DLQ gauges of the ``heartbeat`` schedule: each command answers what the runbook says it shows, and repairs
what it says it repairs."""

from __future__ import annotations

import json

from functions.admin_cli.__main__ import main as admin
from lily.core import breaker, clock, ids, queues
from lily.core.aws import client
from lily.core.functions import discover, load_handler_module
from lily.core.models import BreakerState
from lily.core.observability import observations
from lily.health import backlog
from lily.local.workers import invoke
from tests.helpers import load_event


def _run(capsys, *argv: str):
    code = admin([*argv, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def _poison(queue: str, body: dict) -> None:
    client("sqs").send_message(QueueUrl=queues.dlq_url(queue), MessageBody=json.dumps(body))


def test_a_dead_letter_is_seen_by_the_gauge_the_cli_and_redriven(lily_env, capsys):
    _poison("heartbeat", {"beat_id": "beat_1", "source": "scheduler", "sent_at": clock.iso(clock.now())})
    # the heartbeat schedule reports it
    spec = next(s for s in discover() if s.name == "heartbeat")
    result = invoke(spec, load_handler_module(spec).handler, load_event("heartbeat"))
    assert result["dlq_items"]["heartbeat"] == 1 and result["dlq_items"]["publish"] == 0
    assert backlog.WATCHED_QUEUES and observations("dlq_items_total", queue="heartbeat")[-1] == 1
    # the runbook's commands show it, leave it in place, then move it back
    before = _run(capsys, "queues")["heartbeat"]
    assert before["dlq"]["visible"] == 1
    peeked = _run(capsys, "dlq-peek", "heartbeat")
    assert len(peeked) == 1 and json.loads(peeked[0]["body"])["beat_id"] == "beat_1"
    assert _run(capsys, "dlq-redrive", "heartbeat")["moved"] == 1
    queued = _run(capsys, "queues")["heartbeat"]
    assert queued["dlq"]["visible"] == 0 and queued["queue"]["visible"] == before["queue"]["visible"] + 1


def test_breakers_are_listed_and_closed_by_hand(lily_env, capsys):
    for _ in range(5):
        breaker.record_failure("platform:x", threshold=3, open_s=600)
    listed = {b["key"]: b for b in _run(capsys, "breakers")}
    assert listed["platform:x"]["open_now"] is True
    assert _run(capsys, "breaker-close", "platform:x")["closed"] is True
    assert list(BreakerState.scan()) == []
    assert breaker.allow("platform:x", probe_lease_s=30).allowed


def test_quota_overdue_connections_and_check_access(lily_env, capsys):
    org = ids.new_id("org")
    quota = _run(capsys, "quota", org)
    assert quota["plan"] == "free" and {q["quota"] for q in quota["quotas"]} >= {"social_profiles", "team_seats"}
    assert _run(capsys, "overdue") == []
    assert _run(capsys, "connections") == {}
    reconciled = _run(capsys, "reconcile-quotas")  # the entry point hands the command its ports bundle
    assert isinstance(reconciled, dict), reconciled
    access = _run(capsys, "check-access")
    assert access["kms:data-key"] == "ok" and access["secret:jwt-keys"] == "ok"
    assert set(access) >= {"secret:stripe", "secret:social-apps", "secret:jwt-signing-keys"}


def test_an_unknown_organization_resync_is_a_clear_error(lily_env, capsys):
    assert admin(["stripe-resync", ids.new_id("org")]) == 1
    assert "no Stripe subscription" in capsys.readouterr().err
