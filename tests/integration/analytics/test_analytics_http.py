"""The analytics API on a seeded history: tables, heatmap and top posts, CSV equal to JSON, periods validated and
clamped, plan levels, another org's ids refused, API keys need ``analytics:read``."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lily.analytics.models import AnalyticsPost, AnalyticsSnapshot, instant_key, published_key, series_key
from lily.core import clock
from tests.support.billing import set_plan
from tests.support.identity import create_api_key, create_org, register_user

MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday


def _seed(org_id: str) -> None:
    """Six targets: three Monday 09:00 X posts, two Wednesday 18:00 LinkedIn posts, one Instagram without views."""
    rows = [("x", "c_x", MONDAY_9 - timedelta(weeks=w), 1000, 50) for w in range(3)]
    wednesday_18 = MONDAY_9 + timedelta(days=2, hours=9)
    rows += [("linkedin", "c_li", wednesday_18 - timedelta(weeks=w), 200, 30) for w in range(2)]
    rows += [("instagram", "c_ig", MONDAY_9 + timedelta(days=1), None, 7)]
    for i, (platform, conn, at, impressions, likes) in enumerate(rows):
        AnalyticsPost(org_id, published_key(at, f"t{i}"), target_id=f"t{i}", post_id=f"p{i}", connection_id=conn,
                      platform=platform, platform_post_id=f"pp{i}", published_at=at, impressions=impressions,
                      likes=likes + i, comments=2, shares=1, clicks=0, collected_at=at).save()
        for h in (1, 2):
            AnalyticsSnapshot(series_key(org_id, f"p{i}"), f"t{i}#{instant_key(at + timedelta(hours=h))}",
                              target_id=f"t{i}", platform=platform, taken_at=at + timedelta(hours=h),
                              impressions=None if impressions is None else impressions * h // 2, likes=likes * h // 2,
                              expires_at=at + timedelta(days=30)).save()


@pytest.fixture
def org(http):
    with clock.freeze(MONDAY_9.timestamp() + 7 * 86400):
        user = register_user(http)
        org_id = create_org(http, user["headers"])
        set_plan(org_id, "enterprise")
        _seed(org_id)
        yield org_id, user["headers"]


def test_tables_heatmap_and_top_posts_on_a_seeded_history(http, org):
    org_id, headers = org
    base = f"/api/orgs/{org_id}/analytics"
    r = http.get(base + "/platforms", headers=headers)
    assert r.status_code == 200, r.text
    table = r.json()
    by = {row["key"]: row for row in table["rows"]}
    assert by["x"]["posts"] == 3 and by["x"]["impressions"] == 3000
    assert by["x"]["likes"] == 50 * 3 + 0 + 1 + 2
    # engagement rate = (likes + comments + shares + clicks) / impressions
    assert by["x"]["engagement_rate"] == round((153 + 6 + 3) / 3000, 6)
    assert by["instagram"]["engagement_rate"] is None  # no views reported: no rate, not zero
    assert table["total"]["posts"] == 6
    # Top posts by engagement rate: the LinkedIn posts (30+ likes on 200 impressions) first
    top = http.get(base + "/top-posts", params={"by": "engagement_rate", "limit": 2}, headers=headers).json()
    assert [r["platform"] for r in top["rows"]] == ["linkedin", "linkedin"]
    assert top["rows"][0]["target_id"] == "t4"  # 34 likes beats 33
    # Heatmap: Monday 09:00 holds the three X posts, Wednesday 18:00 the LinkedIn ones (UTC)
    heat = http.get(base + "/heatmap", headers=headers).json()
    cells = {(c["weekday"], c["hour"]): c for c in heat["rows"]}
    assert heat["time_zone"] == "UTC"
    assert cells[(0, 9)]["posts"] == 3 and cells[(2, 18)]["posts"] == 2 and cells[(1, 9)]["posts"] == 1
    # A post's curve
    curve = http.get(base + "/posts/p0", headers=headers).json()
    assert [p["impressions"] for p in curve["targets"][0]["points"]] == [500, 1000]


def test_csv_matches_json(http, org):
    org_id, headers = org
    base = f"/api/orgs/{org_id}/analytics"
    for table, path in (("platforms", "/platforms"), ("connections", "/connections"), ("top_posts", "/top-posts"),
                        ("heatmap", "/heatmap")):
        rows = http.get(base + path, headers=headers).json()["rows"]
        r = http.get(base + f"/export/{table}", headers=headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        got = list(csv.DictReader(io.StringIO(r.text)))
        assert len(got) == len(rows) > 0
        for want, line in zip(rows, got, strict=True):
            assert {k: "" if v is None else str(v) for k, v in want.items()} == line


def test_periods_are_validated_and_clamped(http, org):
    org_id, headers = org
    base = f"/api/orgs/{org_id}/analytics/platforms"
    now = clock.now()
    r = http.get(base, params={"start": now.isoformat(), "end": (now - timedelta(days=1)).isoformat()},
                 headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_002"
    r = http.get(base, params={"start": "not-a-date"}, headers=headers)
    assert r.status_code == 422
    # Periods wholly before the history, even at the calendar's edge, are a 422 too (never an overflow)
    for edge in ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", (now - timedelta(days=4000)).isoformat()):
        r = http.get(base, params={"end": edge}, headers=headers)
        assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_002", r.text
    r = http.get(base, params={"start": "9999-12-31T23:59:59Z"}, headers=headers)
    assert r.status_code == 422
    # The same period with another UTC offset reads the same rows (keys are UTC instants)
    wide = {"start": (now - timedelta(days=30)).astimezone(timezone(timedelta(hours=5))).isoformat()}
    assert http.get(base, params=wide, headers=headers).json()["total"]["posts"] == 6
    # Asking ten years back on a 2-year plan: clamped to the history, flagged
    r = http.get(base, params={"start": (now - timedelta(days=3650)).isoformat()}, headers=headers)
    assert r.status_code == 200 and r.json()["period"]["clamped"] is True
    assert datetime.fromisoformat(r.json()["period"]["start"]) >= now - timedelta(days=731)


def test_plan_levels(http, org):
    org_id, headers = org
    set_plan(org_id, "free")  # basic analytics: platforms yes, connections (standard) and heatmap (advanced) no
    base = f"/api/orgs/{org_id}/analytics"
    assert http.get(base + "/platforms", headers=headers).status_code == 200
    r = http.get(base + "/heatmap", headers=headers)
    assert r.status_code == 403 and r.json()["error"]["details"]["upgrade_to"] == "pro"
    r = http.get(base + "/connections", headers=headers)
    assert r.status_code == 403 and r.json()["error"]["details"]["upgrade_to"] == "starter"


def test_another_orgs_ids_and_keys_without_the_scope_are_refused(http, org):
    org_id, headers = org
    other = register_user(http)
    other_org = create_org(http, other["headers"])
    # Another org's member cannot read this org (404: not even its existence), nor this org's post through their own org
    assert http.get(f"/api/orgs/{org_id}/analytics/platforms", headers=other["headers"]).status_code == 404
    assert http.get(f"/api/orgs/{other_org}/analytics/posts/p0", headers=other["headers"]).status_code == 404
    assert http.get(f"/api/orgs/{other_org}/analytics/platforms",
                    headers=other["headers"]).json()["total"]["posts"] == 0
    # An API key without analytics:read is refused; with it, it reads
    key = create_api_key(http, headers, org_id, scopes=["posts:read"])
    r = http.get(f"/api/orgs/{org_id}/analytics/platforms", headers=key["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003"
    key = create_api_key(http, headers, org_id, scopes=["analytics:read"])
    assert http.get(f"/api/orgs/{org_id}/analytics/platforms", headers=key["headers"]).status_code == 200
    assert http.post(f"/api/orgs/{org_id}/analytics/refresh", headers=key["headers"]).status_code == 403
