"""Each sandbox started once for this package; every test gets it reset (posts, grants, switches)."""

from __future__ import annotations

import pytest

from tests.support.sandboxes import reset_between, running_sandboxes


@pytest.fixture(scope="package")
def platform_sandboxes():
    with running_sandboxes(["x", "meta", "linkedin"]) as started:
        yield started


@pytest.fixture
def x_sandbox(platform_sandboxes):
    with reset_between({"x": platform_sandboxes["x"]}) as started:
        yield started["x"]


@pytest.fixture
def meta_sandbox(platform_sandboxes):
    with reset_between({"meta": platform_sandboxes["meta"]}) as started:
        yield started["meta"]


@pytest.fixture
def linkedin_sandbox(platform_sandboxes):
    with reset_between({"linkedin": platform_sandboxes["linkedin"]}) as started:
        yield started["linkedin"]


@pytest.fixture(scope="package")
def stripe_sandbox():
    from lily.local.sandboxes import stripe as sandbox

    sb = sandbox.start(webhook_url=None)
    yield sb
    sb.stop()
