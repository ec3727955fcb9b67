"""Every list endpoint is paginated with a cap, proved on the live route table of every HTTP function.

A GET route whose response is a list (``list[...]``, or a page model with ``items``) must take ``limit`` with a
maximum and ``cursor`` (``Depends(lily.core.page_query.page_params)``), and answer ``next_cursor``. A route added
later by anyone is covered without being listed here. Only catalogs whose size is fixed in code are exempt.
"""

from __future__ import annotations

import typing

import pytest
from annotated_types import Le
from pydantic import BaseModel

from lily.core.pages import MAX_LIMIT
from tests.support.identity import add_member, create_org, register_user
from tests.support.routes import all_routes

# Fixed-size catalogs: their length is a constant of the code, not a number of stored items.
BOUNDED = {
    ("GET", "/api/plans"): "the plan catalog (lily.billing.plans.PLANS)",
    ("GET", "/api/orgs/{org_id}/usage"): "one entry per quota of lily.billing.plans.QUOTAS",
    ("GET", "/api/orgs/{org_id}/content/templates"): "the template catalog shipped with the code",
    ("GET", "/api/orgs/{org_id}/webhooks/event-types"): "the event registry (lily.core.events.EVENT_TYPES)",
}


def _is_list(model) -> bool:
    if typing.get_origin(model) in (list, tuple, set, frozenset):
        return True
    return isinstance(model, type) and issubclass(model, BaseModel) and "items" in model.model_fields


def _query_params(dependant) -> dict:
    """Every query parameter a route reads, its dependencies' included."""
    found = {f.alias: f for f in dependant.query_params}
    for sub in dependant.dependencies:
        found.update(_query_params(sub))
    return found


def _list_routes(suite):
    return [(m, p, r) for m, p, r in all_routes(suite)
            if m == "GET" and _is_list(r.original_route.response_model)]


def test_every_list_route_takes_a_capped_limit_and_a_cursor_and_answers_a_next_cursor(local_suite):
    routes = _list_routes(local_suite)
    paths = {p for _, p, _ in routes}
    assert {"/api/orgs/{org_id}/members", "/api/orgs/{org_id}/social/connections", "/api/orgs"} <= paths
    failures = []
    for method, path, route in routes:
        if (method, path) in BOUNDED:
            continue
        query = _query_params(route.dependant)
        limit = query.get("limit")
        caps = [m.le for m in limit.field_info.metadata if isinstance(m, Le)] if limit else []
        model = route.original_route.response_model
        if not caps or caps[0] > MAX_LIMIT:
            failures.append(f"{path}: no limit with a maximum <= {MAX_LIMIT}")
        if "cursor" not in query:
            failures.append(f"{path}: no cursor")
        if not (isinstance(model, type) and issubclass(model, BaseModel) and "next_cursor" in model.model_fields):
            failures.append(f"{path}: answers {model}, not a page with next_cursor")
    assert failures == [], "\n".join(failures)


@pytest.fixture
def crowded_org(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"], "Crowded")
    for role in ("viewer", "editor", "admin"):
        add_member(http, owner["headers"], org_id, role)
    return {"owner": owner, "org_id": org_id}


def test_a_list_is_walked_page_by_page_to_its_end(http, crowded_org):
    org_id, headers = crowded_org["org_id"], crowded_org["owner"]["headers"]
    # Given an organization of four members, read two at a time
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = http.get(f"/api/orgs/{org_id}/members", params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= 2
        seen += [m["user_id"] for m in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 5
    # Then every member comes exactly once, and the last page says so
    assert len(seen) == 4 and len(set(seen)) == 4


def test_a_limit_past_the_cap_or_a_foreign_or_forged_cursor_is_refused(http, crowded_org):
    org_id, headers = crowded_org["org_id"], crowded_org["owner"]["headers"]
    url = f"/api/orgs/{org_id}/members"
    assert http.get(url, params={"limit": MAX_LIMIT + 1}, headers=headers).status_code == 422
    # A cursor of another organization's list names another partition: refused, never a read there
    other = register_user(http)
    other_org = create_org(http, other["headers"], "Other")
    add_member(http, other["headers"], other_org, "viewer")
    foreign = http.get(f"/api/orgs/{other_org}/members", params={"limit": 1}, headers=other["headers"]).json()
    assert foreign["next_cursor"]
    for cursor in (foreign["next_cursor"], "not-a-cursor"):
        r = http.get(url, params={"cursor": cursor}, headers=headers)
        assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_001", r.text
