"""Generate, brand and drafts over HTTP in local mode, through the real openai client and the sandbox."""

from __future__ import annotations

from lily.ai.models import AIUsage
from lily.billing.entitlements import usage
from lily.content.fitting import problems
from lily.core.observability import counter_value

BRAND = {
    "tone": "educational", "industry": "HR software", "audience": "HR leads at small companies",
    "keywords": ["onboarding", "mentoring"], "avoid": ["synergy"], "banned_words": ["cheap"],
    "emoji_policy": "none", "default_hashtags": ["#PeopleOps"],
    "ctas": {"linkedin": {"engagement": "How do you onboard remotely?"}},
    "example_posts": ["Onboarding is a promise kept on day one."],
}


def ai_requests_used(org_id: str) -> int:
    return next(q.used for q in usage(org_id) if q.quota == "ai_text_requests")


def _brand(http, owner, **changes):
    r = http.put(f"/api/orgs/{owner['org_id']}/brand", headers=owner["headers"], json={**BRAND, **changes})
    assert r.status_code == 200, r.text
    return r.json()


def test_generate_returns_valid_scored_drafts_per_platform_and_alternative(http, owner, sandbox):
    # Given a brand profile
    brand = _brand(http, owner)
    assert brand["version"] == 1
    # When drafts are generated for X and LinkedIn, two alternatives each
    r = http.post(f"/api/orgs/{owner['org_id']}/content/generate", headers=owner["headers"],
                  json={"topic": "remote onboarding", "platforms": ["x", "linkedin"], "n": 2})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["blocked"] == []
    # Then there is one draft per platform per alternative, each valid for its platform
    assert sorted((d["platform"], d["alternative"]) for d in body["drafts"]) == [
        ("linkedin", 0), ("linkedin", 1), ("x", 0), ("x", 1)]
    for d in body["drafts"]:
        assert all(not problems(d["platform"], p) for p in d["parts"]), d
        assert d["brand_version"] == 1 and d["template_id"] == f"educational.single_post.{d['platform']}"
        assert d["model"] == "gpt-4.1-mini" and d["input_tokens"] > 0 and d["output_tokens"] > 0
        assert 0 <= d["score"]["score"] <= 100 and {r["check"] for r in d["score"]["reasons"]} >= {
            "keywords", "banned_words", "avoid", "length", "voice", "emoji"}
        assert "remote onboarding" in d["text"].lower()
    linkedin = next(d for d in body["drafts"] if d["platform"] == "linkedin")
    assert "How do you onboard remotely?" in linkedin["text"] and "#PeopleOps" in linkedin["hashtags"]
    # And the alternatives differ
    assert len({d["text"] for d in body["drafts"]}) == 4
    # And usage is recorded once for the one generation call, and the quota used once
    calls = [c for c in AIUsage.query(owner["org_id"]) if c.operation == "text"]
    assert len(calls) == 1 and calls[0].feature == "content.generate" and calls[0].total_tokens > 0
    assert ai_requests_used(owner["org_id"]) == 1
    assert counter_value("ai_requests_total", operation="text", outcome="success") >= 1
    # And the prompt the provider saw was the template rendered with the brand
    sent = [q for q in sandbox.state.requests if q["path"] == "/v1/chat/completions"][-1]["body"]
    prompt = sent["messages"][1]["content"]
    assert "Keywords: onboarding, mentoring" in prompt and "cheap" in prompt
    assert sent["response_format"]["type"] == "json_schema"


def test_drafts_can_be_listed_edited_and_read(http, owner, sandbox):
    r = http.post(f"/api/orgs/{owner['org_id']}/content/generate", headers=owner["headers"],
                  json={"topic": "quarterly planning", "platforms": ["facebook"]})
    assert r.status_code == 201, r.text
    gen = r.json()
    page = http.get(f"/api/orgs/{owner['org_id']}/content/drafts", headers=owner["headers"],
                    params={"generation_id": gen["generation_id"]}).json()
    assert [d["draft_id"] for d in page["items"]] == [d["draft_id"] for d in gen["drafts"]]
    draft = gen["drafts"][0]
    r = http.patch(f"/api/orgs/{owner['org_id']}/content/drafts/{draft['draft_id']}", headers=owner["headers"],
                   json={"text": "Quarterly planning, done in one afternoon.", "expected_version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["parts"] == ["Quarterly planning, done in one afternoon."]
    r = http.patch(f"/api/orgs/{owner['org_id']}/content/drafts/{draft['draft_id']}", headers=owner["headers"],
                   json={"text": "stale", "expected_version": 1})
    assert r.status_code == 409
