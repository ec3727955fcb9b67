"""An organization's IANA time zone: UTC by default, set by admins through PATCH /api/orgs/{org_id}."""

from __future__ import annotations

from tests.support.identity import add_member, create_api_key, create_org, register_user


def test_time_zone_defaults_to_utc_and_admins_set_it(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    url = f"/api/orgs/{org_id}"
    assert http.get(url, headers=owner["headers"]).json()["timezone"] == "UTC"

    r = http.patch(url, json={"timezone": "Europe/Berlin"}, headers=owner["headers"])
    assert r.status_code == 200 and r.json()["timezone"] == "Europe/Berlin", r.text
    assert http.get(url, headers=owner["headers"]).json()["timezone"] == "Europe/Berlin"
    r = http.patch(url, json={"name": "  Renamed  "}, headers=owner["headers"])
    assert r.json()["name"] == "Renamed" and r.json()["timezone"] == "Europe/Berlin"

    admin = add_member(http, owner["headers"], org_id, "admin")
    assert http.patch(url, json={"timezone": "America/New_York"}, headers=admin["headers"]).status_code == 200


def test_unknown_zones_and_non_admins_are_refused(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    url = f"/api/orgs/{org_id}"
    for zone in ("Mars/Olympus", "../../etc/passwd", "", "CEST+2"):
        r = http.patch(url, json={"timezone": zone}, headers=owner["headers"])
        assert r.status_code == 422 and r.json()["error"]["code"].startswith("VALIDATION"), (zone, r.text)
    assert http.patch(url, json={"colour": "blue"}, headers=owner["headers"]).status_code == 422
    editor = add_member(http, owner["headers"], org_id, "editor")
    r = http.patch(url, json={"timezone": "Europe/Berlin"}, headers=editor["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003"
    key = create_api_key(http, owner["headers"], org_id, scopes=["orgs:read"], role="admin")
    assert http.patch(url, json={"timezone": "Europe/Berlin"}, headers=key["headers"]).status_code == 403
    key = create_api_key(http, owner["headers"], org_id, scopes=["orgs:write"], role="admin")
    assert http.patch(url, json={"timezone": "Europe/Berlin"}, headers=key["headers"]).status_code == 200
    assert http.get(url, headers=owner["headers"]).json()["timezone"] == "Europe/Berlin"
