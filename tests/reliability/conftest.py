"""Reliability fixtures: the X and LinkedIn sandboxes in threads, harness settings, a signed-in org owner."""

from __future__ import annotations

import os

import pytest

from tests.reliability.harness import ENV


@pytest.fixture(scope="module")
def platform_sandboxes():
    from lily.local.sandboxes import linkedin, x

    started = {"x": x.start(), "linkedin": linkedin.start()}
    env = {k: v for sb in started.values() for k, v in sb.env.items()} | ENV
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield started
    for sb in started.values():
        sb.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def sandboxes(platform_sandboxes):
    for sb in platform_sandboxes.values():
        sb.state.reset()
    yield platform_sandboxes
    for sb in platform_sandboxes.values():
        sb.state.reset()


@pytest.fixture
def owner(sandboxes, http):
    from lily.billing.models import Subscription
    from tests.support.identity import create_org, register_user

    user = register_user(http)
    org_id = create_org(http, user["headers"])
    Subscription(org_id, plan_id="enterprise", applied_plan_id="enterprise", status="active").save()
    return {"headers": user["headers"], "org_id": org_id}
