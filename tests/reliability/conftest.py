"""Reliability fixtures: the X and LinkedIn sandboxes (and the feeds sandbox, for feed-created posts) in threads,
harness settings, a signed-in org owner."""

from __future__ import annotations

import pytest

from tests.reliability.harness import ENV
from tests.support.sandboxes import reset_between, running_sandboxes


@pytest.fixture(scope="module")
def platform_sandboxes():
    with running_sandboxes(["x", "linkedin", "feeds"], ENV) as started:
        yield started


@pytest.fixture
def sandboxes(platform_sandboxes):
    with reset_between(platform_sandboxes) as started:
        yield started


@pytest.fixture
def owner(sandboxes, http):
    from lily.billing.models import Subscription
    from tests.support.identity import create_org, register_user

    user = register_user(http)
    org_id = create_org(http, user["headers"])
    Subscription(org_id, plan_id="enterprise", applied_plan_id="enterprise", status="active").save()
    return {"headers": user["headers"], "org_id": org_id}


@pytest.fixture(scope="session", autouse=True)
def faithful_emulator(emulator):
    """DynamoDB serializes writes per item; make this process's moto do the same (as local mode does)."""
    from lily.local.emulator import prepare

    prepare()
    return emulator
