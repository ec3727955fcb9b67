"""The OpenAI-compatible sandbox, started once per test process; Lily's real ``openai`` client points at it."""

from __future__ import annotations

import pytest

from tests.support.sandboxes import reset_between, running_sandboxes

# Short timeouts and waits so fault tests run in seconds; a breaker that opens after 3 failures.
TUNING = {"LILY_AI_TIMEOUT_S": "1.5", "LILY_AI_MAX_RETRIES": "2", "LILY_AI_BACKOFF_S": "0.05",
          "LILY_AI_MAX_RETRY_WAIT_S": "3", "LILY_AI_BREAKER_THRESHOLD": "3", "LILY_AI_BREAKER_OPEN_S": "30"}


@pytest.fixture(scope="session", autouse=True)
def ai_sandbox():
    with running_sandboxes(["openai"], TUNING) as started:
        yield started["openai"]


@pytest.fixture
def sandbox(ai_sandbox):
    """The sandbox, reset for this test: ``sandbox.state`` / ``sandbox.base_url``."""
    with reset_between({"openai": ai_sandbox}):
        yield ai_sandbox


@pytest.fixture
def owner(http):
    from tests.support.identity import create_org, register_user

    user = register_user(http)
    return {"headers": user["headers"], "org_id": create_org(http, user["headers"]), "user": user}
