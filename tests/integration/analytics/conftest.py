"""The platform sandboxes for the end-to-end analytics test (started once per test process, when asked)."""

from __future__ import annotations

import pytest

from tests.support.sandboxes import reset_between, running_sandboxes


@pytest.fixture(scope="session")
def platform_sandboxes():
    tuning = {"LILY_SOCIAL_LINKEDIN_MIN_INTERVAL_S": "0", "LILY_SOCIAL_HTTP_TIMEOUT_S": "6",
              "LILY_ANALYTICS_CALL_INTERVAL_S": "0"}
    with running_sandboxes(["x", "meta", "linkedin"], tuning) as started:
        yield started


@pytest.fixture
def sandboxes(platform_sandboxes):
    with reset_between(platform_sandboxes) as started:
        yield started
