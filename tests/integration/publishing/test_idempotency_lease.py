"""An Idempotency-Key held by a request whose function was killed frees itself when the function's time is up.

The runtime kills a function at its timeout without running any cleanup; the in-progress claim must not then
answer 409 for the key's whole lifetime (a day). The claim lasts the invocation's remaining time (the Lambda
context's, at most the HTTP API's 30 seconds), and only its own attempt may finish or clear it.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from lily.core import clock
from lily.publishing import editing
from tests.integration.publishing.test_content_http import _connection, _post
from tests.support.billing import set_plan
from tests.support.identity import create_org, register_user


@pytest.fixture
def org(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    set_plan(org_id, "pro")
    return {"id": org_id, "headers": owner["headers"], "x": _connection(org_id, "x")}


def test_a_killed_request_frees_its_key_and_the_retry_runs(http, org, monkeypatch):
    # Given a create request that is stuck inside the service (its function is about to be killed)
    entered, release = threading.Event(), threading.Event()
    real_create = editing.create_post

    def stuck(*args, **kwargs):
        entered.set()
        release.wait(30)
        raise RuntimeError("killed by the runtime")  # what the zombie does when it finally stops

    monkeypatch.setattr(editing, "create_post", stuck)
    zombie: dict = {}
    first = threading.Thread(target=lambda: zombie.update(r=_post(http, org, "Launch", key="kill-1")))
    first.start()
    assert entered.wait(10)
    monkeypatch.setattr(editing, "create_post", real_create)
    # While its function may still run, a retry with the same key is told it is in progress
    r = _post(http, org, "Launch", key="kill-1")
    assert r.status_code == 409 and r.headers.get("retry-after") == "1", r.text
    # When the function's time is up (the runtime killed it: no cleanup ran)
    clock.advance(31)
    # Then the retry runs (it is not refused for the key's 24 hours)
    r = _post(http, org, "Launch", key="kill-1")
    assert r.status_code == 201, r.text
    post_id = r.json()["post_id"]
    # And the late end of the killed attempt does not clear the retry's answer
    release.set()
    first.join(30)
    assert zombie["r"].status_code == 500
    again = _post(http, org, "Launch", key="kill-1")
    assert again.status_code == 201 and again.json()["post_id"] == post_id
    assert again.headers.get("idempotent-replayed") == "true"


def test_the_claim_lasts_the_lambda_contexts_remaining_time():
    from functions.publishing.handler import invocation_lease

    def request(context):
        return SimpleNamespace(scope={"aws.context": context} if context else {})

    lambda_context = SimpleNamespace(get_remaining_time_in_millis=lambda: 4_500)
    assert invocation_lease(request(lambda_context)) == 4.5
    assert invocation_lease(request(SimpleNamespace(get_remaining_time_in_millis=lambda: 900_000))) == 30.0
    assert invocation_lease(request(None)) == 30.0
