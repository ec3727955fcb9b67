"""The OpenAI-compatible sandbox (and Meta's, for publishing) started once per test process; Lily's real clients
point at them. Jobs are run by the local suite's queue pollers (``drain``)."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import drain
from tests.support.billing import set_plan
from tests.support.sandboxes import reset_between, running_sandboxes

TUNING = {"LILY_AI_TIMEOUT_S": "5", "LILY_AI_MAX_RETRIES": "1", "LILY_AI_BACKOFF_S": "0.05",
          "LILY_AI_MAX_RETRY_WAIT_S": "2", "LILY_SOCIAL_HTTP_TIMEOUT_S": "5"}


@pytest.fixture(scope="session", autouse=True)
def image_sandboxes():
    with running_sandboxes(["openai", "meta", "x"], TUNING) as started:
        yield started


@pytest.fixture
def sandbox(image_sandboxes):
    """The OpenAI-compatible sandbox, reset for this test."""
    with reset_between(image_sandboxes):
        yield image_sandboxes["openai"]


@pytest.fixture
def owner(http):
    from tests.support.identity import create_org, register_user

    user = register_user(http)
    return {"headers": user["headers"], "org_id": create_org(http, user["headers"]), "user": user}


def on_plan(owner: dict, plan_id: str) -> dict:
    set_plan(owner["org_id"], plan_id)
    return owner


def configure(sandbox, **switches) -> None:
    r = httpx.post(f"{sandbox.base_url}/_sandbox/config", json=switches, timeout=5)
    assert r.status_code == 200, r.text


def submit(http, owner: dict, **contract) -> dict:
    r = http.post(f"/api/orgs/{owner['org_id']}/images", headers=owner["headers"],
                  json={"prompt": "A lighthouse at dawn over a calm harbor", **contract})
    assert r.status_code == 202, r.text
    return r.json()


def run_job(http, local_suite, owner: dict, job: dict) -> dict:
    drain(local_suite)
    r = http.get(f"/api/orgs/{owner['org_id']}/images/jobs/{job['job_id']}", headers=owner["headers"])
    assert r.status_code == 200, r.text
    return r.json()
