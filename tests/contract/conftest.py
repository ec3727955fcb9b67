"""Local mode served once for the contract suites, as ``make run`` serves it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LocalMode
from tests.support.sandboxes import running_sandboxes

# The deployed per-window limits would stop the fuzzer within a minute; the contract is what is measured here (429
# is documented on every rate-limited operation and would pass every check anyway).
LIMITS = {"LILY_RATE_LIMIT_IP": "20000", "LILY_RATE_LIMIT_AUTH_IP": "20000", "LILY_RATE_LIMIT_USER": "20000"}


@pytest.fixture(scope="session")
def served():
    lm = LocalMode(extra_env=LIMITS)
    lm.wait_ready()
    yield lm
    lm.stop()


@pytest.fixture(scope="session", autouse=True)
def ai_sandbox():
    """The OpenAI-compatible sandbox for the in-process gateway (``http``): writing a vault style moderates it."""
    with running_sandboxes(["openai"], {}) as started:
        yield started["openai"]
