"""Engagement feeds back into content: the org's best templates and tones per platform (from its collected
analytics) rank first in ``templates``, and ``generate`` with ``follow_best`` names them in the prompt, so the
prompt changes with the org's history."""

from __future__ import annotations

from datetime import timedelta

from lily.analytics.models import AnalyticsPost, published_key
from lily.core import clock

BEST, WORST = "entertaining.thread.x", "professional.single_post.x"


def _history(org_id: str) -> None:
    """Six X posts: three with the entertaining thread template (8 %), three professional single posts (2 %)."""
    now = clock.now()
    for i in range(6):
        best = i % 2 == 0
        at = now - timedelta(days=i + 2)
        AnalyticsPost(org_id, published_key(at, f"t{i}"), target_id=f"t{i}", post_id=f"p{i}", connection_id="c",
                      platform="x", platform_post_id=f"pp{i}", published_at=at, impressions=1000,
                      likes=80 if best else 20, comments=0, shares=0, clicks=0, collected_at=now,
                      template_id=BEST if best else WORST, tone="entertaining" if best else "professional",
                      structure="thread" if best else "single_post").save()


def _prompt(sandbox) -> str:
    sent = [q for q in sandbox.state.requests if q["path"] == "/v1/chat/completions"][-1]["body"]
    return sent["messages"][1]["content"]


def test_templates_rank_the_orgs_best_performers_first(http, owner, sandbox):
    url = f"/api/orgs/{owner['org_id']}/content/templates"
    before = [t for t in http.get(url, headers=owner["headers"]).json()["items"] if t["platform"] == "x"]
    assert before[0]["template_id"] != BEST and all(t["performance"] is None for t in before)
    _history(owner["org_id"])
    items = http.get(url, headers=owner["headers"]).json()["items"]
    x = [t for t in items if t["platform"] == "x"]
    assert len(x) == len(before)  # the same catalog, reordered
    assert x[0]["template_id"] == BEST and "8.00%" in x[0]["performance"]
    # then the other templates of the best tone; what earned less than the platform's average is not promoted
    assert all(t["tone"] == "entertaining" and "8.00%" in t["performance"]
               for t in x[1:len({t["structure"] for t in x})])
    assert next(t for t in x if t["template_id"] == WORST)["performance"] is None
    # other platforms have no history: catalog order, no performance
    li = [t for t in items if t["platform"] == "linkedin"]
    assert all(t["performance"] is None for t in li)


def test_generate_can_follow_the_orgs_best_performers(http, owner, sandbox):
    url = f"/api/orgs/{owner['org_id']}/content/generate"
    body = {"topic": "team rituals", "platforms": ["x"], "follow_best": True}
    # With no history the prompt names nothing
    assert http.post(url, headers=owner["headers"], json=body).status_code == 201
    assert "best engagement" not in _prompt(sandbox)
    # With the history, the prompt names the best template and tone first
    _history(owner["org_id"])
    r = http.post(url, headers=owner["headers"], json=body)
    assert r.status_code == 201, r.text
    prompt = _prompt(sandbox)
    assert "best engagement" in prompt and f"template {BEST} (8.00% engagement over 3 posts)" in prompt
    assert "tone entertaining (8.00% engagement over 3 posts)" in prompt and WORST not in prompt
    # Without follow_best the history is not in the prompt
    assert http.post(url, headers=owner["headers"], json={**body, "follow_best": False}).status_code == 201
    assert BEST not in _prompt(sandbox)
    # A bad value is a 422, not a 500
    assert http.post(url, headers=owner["headers"], json={**body, "follow_best": "maybe"}).status_code == 422
