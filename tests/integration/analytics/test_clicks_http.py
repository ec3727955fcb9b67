"""Short-link clicks in analytics over HTTP: per link, per post and per day, counts matching the redirects made,
org-scoped (another org's links and clicks are never shown, and quoting another org's link attributes nothing),
CSV like every table, the analytics:read scope."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from lily.core import clock, ids
from lily.social.models import SocialConnection
from tests.support.billing import set_plan
from tests.support.identity import auth_headers, create_api_key, create_org, login, register_user

DAY1 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


def _org(http) -> dict:
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    set_plan(org_id, "pro")
    conn = ids.new_id("soc")
    now = clock.now()
    SocialConnection(org_id, conn, platform="linkedin", account_id=f"acct-{conn}", account_kind="user",
                     account_name="Test account", access_envelope="sealed", grant_id="grant", created_by="usr_test",
                     created_at=now, updated_at=now).save()
    return {"id": org_id, "owner": owner, "headers": owner["headers"], "conn": conn, "base": f"/api/orgs/{org_id}"}


def _shorten(http, org, text: str) -> dict:
    r = http.post(f"{org['base']}/links/shorten-text", headers=org["headers"], json={"text": text,
                                                                                    "platform": "linkedin"})
    assert r.status_code == 200, r.text
    return r.json()


def _post(http, org, text: str) -> str:
    r = http.post(f"{org['base']}/posts", headers=org["headers"],
                  json={"text": text, "targets": [{"connection_id": org["conn"]}]})
    assert r.status_code == 201, r.text
    return r.json()["post_id"]


def _click(http, code: str, times: int) -> None:
    for _ in range(times):
        assert http.get(f"/l/{code}", follow_redirects=False).status_code == 302


def test_clicks_per_link_post_and_day_match_the_redirects_and_stay_in_their_org(http):
    with clock.freeze(DAY1):
        a, b = _org(http), _org(http)
        # Given org A's post carrying two short links, and a third link of A that no post carries
        shortened = _shorten(http, a, "Read https://blog.example/one and https://blog.example/two today")
        one, two = (link["code"] for link in shortened["links"])
        post_id = _post(http, a, shortened["text"])
        r = http.post(f"{a['base']}/links", headers=a["headers"], json={"url": "https://shop.example/"})
        assert r.status_code == 201, r.text
        loose = r.json()["code"]
        # and org B's own link, and a post of B quoting A's link (attributes nothing to B)
        theirs = _shorten(http, b, "Ours: https://b.example/x")["links"][0]["code"]
        b_post = _post(http, b, f"Quoting {shortened['text']}")
        # When visitors follow them: day 1: one ×3, two ×1, B's ×5
        _click(http, one, 3)
        _click(http, two, 1)
        _click(http, theirs, 5)
    with clock.freeze(DAY1 + timedelta(days=1)):
        # day 2: one ×2, the loose link ×4
        _click(http, one, 2)
        _click(http, loose, 4)
        headers = auth_headers(login(http, a["owner"]["email"], a["owner"]["password"])["access_token"])
        key = create_api_key(http, headers, a["id"], scopes=["analytics:read"])["headers"]
        period = {"start": (DAY1 - timedelta(days=1)).isoformat(),
                  "end": (DAY1 + timedelta(days=1, hours=1)).isoformat()}

        # Then per link: A's three links with their counts, most clicked first, never B's
        r = http.get(f"{a['base']}/analytics/clicks/links", headers=key, params=period)
        assert r.status_code == 200, r.text
        links = r.json()
        assert [(row["code"], row["clicks"], row["posts"]) for row in links["rows"]] == [
            (one, 5, 1), (loose, 4, 0), (two, 1, 1)]
        assert links["total_clicks"] == 10 and theirs not in r.text
        assert links["rows"][0]["url"].startswith("https://blog.example/one?") and "utm_" in links["rows"][0]["url"]
        # per post: the post carrying one and two
        r = http.get(f"{a['base']}/analytics/clicks/posts", headers=key, params=period)
        assert r.status_code == 200, r.text
        assert [(row["post_id"], row["links"], row["clicks"]) for row in r.json()["rows"]] == [(post_id, 2, 6)]
        assert r.json()["total_clicks"] == 6
        # per day (UTC)
        r = http.get(f"{a['base']}/analytics/clicks/days", headers=key, params=period)
        assert r.status_code == 200, r.text
        assert [(row["day"], row["links"], row["clicks"]) for row in r.json()["rows"]] == [
            ("2027-03-02", 2, 4), ("2027-03-03", 2, 6)]
        # a period of day 2 only
        r = http.get(f"{a['base']}/analytics/clicks/days", headers=key,
                     params={"start": (DAY1 + timedelta(hours=15)).isoformat()})
        assert [row["day"] for row in r.json()["rows"]] == ["2027-03-03"]
        # CSV like every table
        r = http.get(f"{a['base']}/analytics/export/clicks_links", headers=key, params=period)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [(row["code"], row["clicks"]) for row in rows] == [(one, "5"), (loose, "4"), (two, "1")]

        # And org B sees only its own link and clicks; its post quoting A's links has no clicks of A's
        b["headers"] = auth_headers(login(http, b["owner"]["email"], b["owner"]["password"])["access_token"])
        r = http.get(f"{b['base']}/analytics/clicks/links", headers=b["headers"], params=period)
        assert r.status_code == 200, r.text
        assert [(row["code"], row["clicks"]) for row in r.json()["rows"]] == [(theirs, 5)]
        r = http.get(f"{b['base']}/analytics/clicks/posts", headers=b["headers"], params=period)
        assert r.json()["rows"] == [] and b_post not in r.text
        # a member of B cannot read A's tables; a key without analytics:read is refused
        assert http.get(f"{a['base']}/analytics/clicks/links", headers=b["headers"]).status_code in (403, 404)
        no_scope = create_api_key(http, headers, a["id"], scopes=["posts:read"])["headers"]
        assert http.get(f"{a['base']}/analytics/clicks/days", headers=no_scope).status_code == 403
        # bad input is a 422 with Lily's error body, never a 500
        r = http.get(f"{a['base']}/analytics/clicks/links", headers=key, params={"start": "yesterday"})
        assert r.status_code == 422 and r.json()["error"]["code"].startswith("VALIDATION"), r.text
        r = http.get(f"{a['base']}/analytics/clicks/links", headers=key,
                     params={"start": period["end"], "end": period["start"]})
        assert r.status_code == 422, r.text
