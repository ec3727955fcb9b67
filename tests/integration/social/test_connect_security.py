"""Refusals (replayed or foreign state, mismatched redirect, reused code), the one way in, plan limits,
tokens at rest, and no token in any log line of a full flow."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import pytest

from lily import composition
from lily.core import clock
from lily.core.aws import client
from lily.core.errors import LilyError
from lily.social import tokens
from lily.social.connections import create_or_reconnect
from lily.social.models import SocialConnection
from lily.social.platforms.base import Account, TokenSet
from tests.helpers import drain
from tests.integration.social.conftest import approve, connect, set_plan
from tests.support.identity import add_member, create_org, register_user

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def owner(http, sandboxes):
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "pro")
    return {**user, "org_id": org_id}


def _start(http, headers, org_id, platform="x"):
    r = http.post(f"/api/orgs/{org_id}/social/connect/{platform}", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_states_and_codes_cannot_be_replayed_redirected_or_borrowed(http, owner, sandboxes):
    org_id, headers = owner["org_id"], owner["headers"]
    # A redirect_uri other than the registered callback is refused at connect
    r = http.post(
        f"/api/orgs/{org_id}/social/connect/x", json={"redirect_uri": "https://evil.example/cb"}, headers=headers
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "SOCIAL_002"
    # A state used on another platform's callback (a mismatched redirect) is refused
    redirect = approve(_start(http, headers, org_id)["authorize_url"])
    r = http.get(f"/api/social/callback/linkedin?{redirect['query']}")
    assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "redirect_mismatch"
    # The genuine callback succeeds once...
    assert http.get(f"{redirect['path']}?{redirect['query']}").status_code == 200
    # ...and a replay of the same state is refused
    r = http.get(f"{redirect['path']}?{redirect['query']}")
    assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "state_invalid"
    # A reused code with a fresh state is refused by the platform
    fresh = approve(_start(http, headers, org_id)["authorize_url"])
    r = http.get(f"/api/social/callback/x?state={fresh['state']}&code={redirect['code']}")
    assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "exchange_failed"
    # A state handed over by another user, or for another organization, is refused (and not burnt)
    other_admin = add_member(http, headers, org_id, "admin")
    pending = approve(_start(http, headers, org_id)["authorize_url"])
    body = {"code": pending["code"], "state": pending["state"]}
    r = http.post(f"/api/orgs/{org_id}/social/connect/x/complete", json=body, headers=other_admin["headers"])
    assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "state_foreign"
    other_org = create_org(http, headers)
    r = http.post(f"/api/orgs/{other_org}/social/connect/x/complete", json=body, headers=headers)
    assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "state_foreign"
    # A mismatched redirect_uri at completion is refused
    r = http.post(
        f"/api/orgs/{org_id}/social/connect/x/complete",
        json={**body, "redirect_uri": "https://evil.example/cb"},
        headers=headers,
    )
    assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "redirect_mismatch"
    # The rightful user completes it
    r = http.post(f"/api/orgs/{org_id}/social/connect/x/complete", json=body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "connected", r.text
    # An expired state is refused
    late = approve(_start(http, headers, org_id)["authorize_url"], user="bob")
    clock.advance(601)
    r = http.get(f"{late['path']}?{late['query']}")
    assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "state_invalid"
    # Only admins may start a connection
    viewer = add_member(http, headers, org_id, "viewer")
    assert http.post(f"/api/orgs/{org_id}/social/connect/x", headers=viewer["headers"]).status_code == 403


def test_an_authorize_url_sent_to_a_victim_cannot_connect_the_victims_account(http, owner, local_suite, sandboxes):
    from fastapi.testclient import TestClient

    # Given an attacker who starts a connection in their own organization
    r = http.post(f"/api/orgs/{owner['org_id']}/social/connect/x", headers=owner["headers"])
    assert r.status_code == 201, r.text
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "path=/api/social/callback/x" in cookie and "samesite=lax" in cookie
    assert "max-age=600" in cookie
    # When they send the authorize_url to a victim, who approves it at X in their own browser
    redirect = approve(r.json()["authorize_url"], user="bob")
    with TestClient(local_suite.gateway, base_url="https://testserver") as victim_browser:
        r = victim_browser.get(f"{redirect['path']}?{redirect['query']}")
    # Then Lily's public callback refuses it: that browser did not start the flow
    assert r.status_code == 400, r.text
    assert r.json()["error"]["details"]["reason"] == "browser_mismatch"
    assert list(SocialConnection.query(owner["org_id"])) == []
    # And a forged flow cookie does not pass either
    with TestClient(local_suite.gateway, base_url="https://testserver") as forged:
        from lily.social.connect import flow_cookie_name

        forged.cookies.set(flow_cookie_name(redirect["state"]), "guessed", path="/api/social/callback/x")
        r = forged.get(f"{redirect['path']}?{redirect['query']}")
    assert r.json()["error"]["details"]["reason"] == "browser_mismatch"
    # While the browser that started a flow completes it, and its cookie is cleared
    mine = approve(_start(http, owner["headers"], owner["org_id"])["authorize_url"], user="carol")
    r = http.get(f"{mine['path']}?{mine['query']}")
    assert r.status_code == 200 and r.json()["status"] == "connected", r.text
    assert "max-age=0" in r.headers["set-cookie"].lower()


def test_free_plan_refuses_a_second_profile_over_http(http, sandboxes):
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    connect(http, user["headers"], org_id, "x", user="alice")
    r = http.post(f"/api/orgs/{org_id}/social/connect/x", headers=user["headers"])
    redirect = approve(r.json()["authorize_url"], user="bob")
    r = http.get(f"{redirect['path']}?{redirect['query']}")
    assert r.status_code == 429 and r.json()["error"]["code"] == "PLAN_002"
    assert r.json()["error"]["details"]["limit"] == 1
    assert len(list(SocialConnection.query(org_id))) == 1


def _account(i: int) -> Account:
    return Account(account_id=f"acct{i}", kind="user", name=f"Account {i}", handle=f"acct{i}")


@pytest.mark.parametrize(("plan", "limit"), [("free", 1), ("starter", 3), ("pro", 10), ("enterprise", 25)])
def test_profile_limit_is_each_plans_number(plan, limit, lily_env):
    org_id = f"org_limit{plan}"
    if plan != "free":
        set_plan(org_id, plan)
    t = TokenSet(access_token="at", refresh_token="rt", expires_at=None, scopes=["s"])
    for i in range(limit):
        create_or_reconnect(composition.social_ports(), org_id, "usr_1", "x", _account(i), t, "grant_1")
    with pytest.raises(LilyError) as err:
        create_or_reconnect(composition.social_ports(), org_id, "usr_1", "x", _account(limit), t, "grant_1")
    assert err.value.code.value == "PLAN_002" and err.value.details["limit"] == limit
    # Reconnecting an existing account is not a new profile
    create_or_reconnect(composition.social_ports(), org_id, "usr_1", "x", _account(0), t, "grant_2")
    assert len(list(SocialConnection.query(org_id))) == limit


def test_downgrade_pauses_connections_over_the_new_limit(lily_env):
    from lily.billing.plans import get_plan
    from lily.billing.subscription_sync import notify_plan_change

    org_id = "org_downgrade"
    set_plan(org_id, "starter")
    t = TokenSet(access_token="at", scopes=[])
    for i in range(3):
        create_or_reconnect(composition.social_ports(), org_id, "usr_1", "x", _account(i), t, f"g{i}")
        clock.advance(1)
    assert notify_plan_change(composition.billing_ports(), org_id, get_plan("starter"), get_plan("free")) == 0
    statuses = sorted((c.created_at, c.status) for c in SocialConnection.query(org_id))
    assert [s for _, s in statuses] == ["active", "paused", "paused"]  # oldest kept; none deleted
    with pytest.raises(LilyError):
        tokens.credentials(org_id, sorted(SocialConnection.query(org_id), key=lambda c: c.created_at)[-1].connection_id)
    notify_plan_change(composition.billing_ports(), org_id, get_plan("free"), get_plan("starter"))
    assert {c.status for c in SocialConnection.query(org_id)} == {"active"}


def test_tokens_at_rest_are_ciphertext_bound_to_the_tenant(http, owner, sandboxes):
    org_id = owner["org_id"]
    result = connect(http, owner["headers"], org_id, "x")
    cid = result["connections"][0]["connection_id"]
    secrets = [t for t in sandboxes["x"].state.access] + [t for t in sandboxes["x"].state.refresh]
    assert secrets
    # The raw item holds no token, only envelopes
    raw = client("dynamodb").get_item(
        TableName=SocialConnection.Meta.table_name, Key={"org_id": {"S": org_id}, "connection_id": {"S": cid}}
    )["Item"]
    dump = json.dumps(raw)
    assert not any(s in dump for s in secrets)
    envelope = json.loads(raw["access_envelope"]["S"])
    assert set(envelope) == {"v", "k", "n", "c"}
    # Opening it under another tenant's (or another connection's) context fails
    conn = SocialConnection.get(org_id, cid)
    assert tokens.open_tokens(conn).access_token in secrets
    from lily.core import crypto

    for ctx in ({"org_id": "org_other", "connection_id": cid}, {"org_id": org_id, "connection_id": "soc_other"}):
        with pytest.raises(LilyError) as err:
            crypto.decrypt(conn.access_envelope, ctx)
        assert err.value.code.value == "AUTH_003"


def test_no_token_appears_in_any_log_of_a_full_flow(http, owner, local_suite, sandboxes, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    from lily.core.observability import logger

    logger.setLevel("DEBUG")
    try:
        org_id, headers = owner["org_id"], owner["headers"]
        for platform in ("x", "linkedin", "instagram"):
            result = connect(http, headers, org_id, platform)
            for c in result["connections"]:
                tokens.credentials(org_id, c["connection_id"])
        for conn in SocialConnection.query(org_id):
            if tokens.open_tokens(conn).refresh_token:
                tokens.refresh_connection(conn)
        local_suite.clocks[[c.spec.name for c in local_suite.clocks].index("token_health")].fire()
        for c in http.get(f"/api/orgs/{org_id}/social/connections", headers=headers).json()["items"]:
            http.delete(f"/api/orgs/{org_id}/social/connections/{c['connection_id']}", headers=headers)
        drain(local_suite)
    finally:
        logger.setLevel("INFO")
    secrets = set()
    for sb in sandboxes.values():
        secrets |= set(sb.state.access) | set(sb.state.refresh)
    assert len(secrets) >= 6
    out = capsys.readouterr()
    text = out.out + out.err + "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert "social account connected" in text  # the capture works
    leaked = [s for s in secrets if s in text]
    assert leaked == []


def test_route_table_offers_one_way_in(local_suite):
    """No route but the OAuth completion ones can create a connection, and only one function stores one."""
    from lily.core import functions

    social_routes = set()
    for spec in functions.discover():
        module_app = next((r.app for r in local_suite.gateway.routes if r.function == spec.name), None)
        if module_app is None:
            continue
        for route in module_app.routes:
            path = getattr(route, "path", "")
            if "social" in path and not path.startswith("/openapi"):
                assert spec.name == "social", f"{spec.name} serves {path}"
                social_routes |= {(m, path) for m in getattr(route, "methods", set())}
    writes = {(m, p) for m, p in social_routes if m in ("POST", "PUT", "PATCH")}
    assert writes == {
        ("POST", "/api/orgs/{org_id}/social/connect/{platform}"),  # only creates a state
        ("POST", "/api/orgs/{org_id}/social/connect/{platform}/complete"),  # → connect.complete
        ("POST", "/api/orgs/{org_id}/social/selections/{selection_id}"),  # → connect.select_accounts
        ("POST", "/api/orgs/{org_id}/social/validate"),  # pure validation
    }
    assert ("GET", "/api/social/callback/{platform}") in social_routes  # → connect.complete
    # Statically: exactly one function in the code base constructs a SocialConnection, and it consumes the quota
    creators = []
    for path in list((ROOT / "shared").rglob("*.py")) + list((ROOT / "functions").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call)]
            if any(isinstance(c.func, ast.Name) and c.func.id == "SocialConnection" for c in calls):
                consumes = any(
                    isinstance(c.func, ast.Attribute)
                    and c.func.attr == "consume"
                    and isinstance(c.func.value, ast.Name)
                    and c.func.value.id == "profiles"  # the ProfileQuota port (lily.social.ports)
                    for c in calls
                )
                creators.append((path.relative_to(ROOT).as_posix(), fn.name, consumes))
    assert creators == [("shared/lily/social/connections.py", "create_or_reconnect", True)]
