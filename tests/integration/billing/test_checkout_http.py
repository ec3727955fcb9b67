"""Over HTTP in local mode: checkout → open the returned URL → webhook → the entitlements changed."""

from __future__ import annotations

import httpx

from tests.helpers import drain
from tests.integration.billing.conftest import post_events
from tests.support.identity import add_member, create_org, register_user


def _deliver(http, local_suite, sandbox) -> None:
    """Stripe's delivery: the sandbox's signed events POSTed to Lily, then the worker runs."""
    post_events(http, sandbox.state.take_outbox())
    drain(local_suite)


def test_checkout_then_webhook_changes_the_organizations_entitlements(http, local_suite, stripe_sandbox):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    h = owner["headers"]
    # Given a free organization
    ent = http.get(f"/api/orgs/{org_id}/entitlements", headers=h).json()
    assert ent["plan_id"] == "free" and "advanced_scheduling" not in ent["features"]
    # When its owner checks out the pro plan and opens the returned URL (the hosted payment page)
    r = http.post(f"/api/orgs/{org_id}/billing/checkout", json={"plan_id": "pro"}, headers=h)
    assert r.status_code == 201, r.text
    checkout = r.json()
    assert checkout["trial_days"] == 14 and checkout["url"].startswith(stripe_sandbox.base_url)
    page = httpx.get(checkout["url"])
    assert page.status_code == 200 and "Payment complete" in page.text
    # And Stripe's webhooks arrive
    _deliver(http, local_suite, stripe_sandbox)
    # Then the organization's entitlements are pro's
    ent = http.get(f"/api/orgs/{org_id}/entitlements", headers=h).json()
    assert ent["plan_id"] == "pro"
    assert ent["subscription"]["status"] == "trialing"
    assert "advanced_scheduling" in ent["features"]
    assert {q["quota"]: q["limit"] for q in ent["quotas"]}["posts_per_day"] == 25
    # And the Stripe calls carried an idempotency key, with one customer for the organization
    posts = [q for q in stripe_sandbox.state.requests if q["method"] == "POST"]
    assert posts and all(q["idempotency_key"] for q in posts)
    customers = [c for c in stripe_sandbox.state.customers.values() if c["metadata"].get("org_id") == org_id]
    assert len(customers) == 1

    # A second checkout is refused: the plan is changed in-app instead
    again = http.post(f"/api/orgs/{org_id}/billing/checkout", json={"plan_id": "starter"}, headers=h)
    assert again.status_code == 409
    changed = http.post(f"/api/orgs/{org_id}/billing/change-plan", json={"plan_id": "starter"}, headers=h)
    assert changed.status_code == 200, changed.text
    assert changed.json()["plan_id"] == "starter"
    assert http.get(f"/api/orgs/{org_id}/entitlements", headers=h).json()["plan_id"] == "starter"
    sub = stripe_sandbox.state.subscriptions[changed.json()["stripe_subscription_id"]]
    assert len(sub["items"]["data"]) == 1  # the item was replaced, not added to

    # Cancel in-app (at period end), then resume
    cancelled = http.post(f"/api/orgs/{org_id}/billing/cancel", headers=h).json()
    assert cancelled["cancel_at_period_end"] is True and cancelled["plan_id"] == "starter"
    resumed = http.post(f"/api/orgs/{org_id}/billing/resume", headers=h).json()
    assert resumed["cancel_at_period_end"] is False
    _deliver(http, local_suite, stripe_sandbox)  # the webhooks of those changes agree
    assert http.get(f"/api/orgs/{org_id}/billing/subscription", headers=h).json()["plan_id"] == "starter"

    # The customer portal URL opens
    portal = http.post(f"/api/orgs/{org_id}/billing/portal", headers=h)
    assert portal.status_code == 200 and httpx.get(portal.json()["url"]).status_code == 200


def test_billing_routes_check_membership_and_role(http, stripe_sandbox):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    viewer = add_member(http, owner["headers"], org_id, "viewer")
    stranger = register_user(http)
    assert http.get(f"/api/orgs/{org_id}/usage").status_code == 401
    assert http.get(f"/api/orgs/{org_id}/usage", headers=stranger["headers"]).status_code == 404
    assert http.get(f"/api/orgs/{org_id}/usage", headers=viewer["headers"]).status_code == 200
    r = http.post(f"/api/orgs/{org_id}/billing/checkout", json={"plan_id": "pro"}, headers=viewer["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003"
    assert http.post(f"/api/orgs/{org_id}/billing/cancel", headers=owner["headers"]).status_code == 409


def test_plans_capabilities_and_health_are_public(http, stripe_sandbox):
    plans = http.get("/api/plans").json()
    assert [p["plan_id"] for p in plans] == ["free", "starter", "pro", "enterprise"]
    starter = plans[1]
    assert starter["trial_days"] == 14 and "14-day free trial" in starter["terms"]
    assert "Cancel any time" in starter["terms"]
    assert {p["interval"] for p in starter["prices"]} == {"month", "year"}
    assert all(p["available"] for p in starter["prices"])
    cap = http.get("/api/plans/capabilities/advanced_scheduling").json()
    assert (cap["plans"], cap["cheapest_plan"]) == (["pro", "enterprise"], "pro")
    assert http.get("/api/plans/capabilities/team_seats").json()["limits"]["enterprise"] == 25
    assert http.get("/api/plans/capabilities/nope").status_code == 404
    health = http.get("/api/billing/health")
    assert health.status_code == 200, health.text
    assert health.json()["configured"] and health.json()["reachable"]


def test_billing_health_reports_an_unreachable_stripe(http, lily_env, monkeypatch):
    from lily.core.config import reset_settings

    monkeypatch.setenv("LILY_STRIPE_API_BASE", "http://127.0.0.1:9")  # nothing listens there
    reset_settings()
    r = http.get("/api/billing/health")
    assert r.status_code == 503
    body = r.json()
    assert body["reachable"] is False and "LILY_STRIPE_PRICES[pro:month]" in body["missing"]
    # It says why: degraded, which base it tried, the error's kind and how long the attempt took
    assert (body["status"], body["configured"], body["api_base"]) == ("degraded", False, "http://127.0.0.1:9")
    assert body["error"] == "LilyError" and body["latency_ms"] >= 0  # the gateway translated the connection error
