"""Function declarations: validated, discovered, routed like API Gateway, scheduled like EventBridge."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from lily.core.functions import FunctionSpec, Http, Queue, Schedule, discover
from lily.local.gateway import routes_for
from lily.local.workers import next_fire, to_crontab


def test_every_function_folder_declares_itself():
    specs = discover()
    names = [s.name for s in specs]
    assert {"health", "heartbeat", "heartbeat_worker"} <= set(names)
    for s in specs:
        assert (s.folder / "handler.py").is_file()


def test_http_functions_cannot_exceed_api_gateway_timeout():
    with pytest.raises(ValidationError, match="29 s"):
        FunctionSpec(name="slow", description="x", trigger=Http(prefixes=["/slow"]), timeout_s=60)


@pytest.mark.parametrize("bad", ["health", "/Health", "/a//b", "/a/{Bad}"])
def test_bad_prefixes_are_refused(bad):
    with pytest.raises(ValidationError):
        Http(prefixes=[bad])


def test_bad_schedule_is_refused():
    with pytest.raises(ValidationError):
        Schedule(expression="every day")


def test_visibility_timeout_is_six_times_the_function_timeout():
    spec = FunctionSpec(name="worker", description="x", trigger=Queue(queue="work"), timeout_s=30)
    assert spec.visibility_timeout_s == 180


def test_most_specific_prefix_wins():
    a = FunctionSpec(name="orgs", description="x", trigger=Http(prefixes=["/api/orgs"]))
    b = FunctionSpec(name="billing", description="x", trigger=Http(prefixes=["/api/orgs/{org_id}/billing"]))
    routes = routes_for([(a, "orgs-app"), (b, "billing-app")])

    def pick(path):
        return next(r.function for r in routes if r.pattern.match(path))

    assert pick("/api/orgs/org_1/billing/checkout") == "billing"
    assert pick("/api/orgs/org_1/billing") == "billing"
    assert pick("/api/orgs/org_1/members") == "orgs"
    assert pick("/api/orgs") == "orgs"
    assert not any(r.pattern.match("/api/orgsx") for r in routes)


def test_eventbridge_cron_is_translated():
    assert to_crontab("cron(0 3 * * ? *)") == "0 3 * * *"
    assert to_crontab("cron(0 8 ? * 1 *)") == "0 8 * * SUN"
    assert to_crontab("cron(0 8 ? * SUN *)") == "0 8 * * SUN"


def test_next_fire_for_rate_and_cron():
    t = datetime(2026, 11, 27, 14, 0, 30, tzinfo=UTC)
    assert next_fire("rate(5 minutes)", t) == datetime(2026, 11, 27, 14, 5, 30, tzinfo=UTC)
    assert next_fire("cron(0 3 * * ? *)", t) == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert next_fire("cron(* * * * ? *)", t) == datetime(2026, 11, 27, 14, 1, tzinfo=UTC)
