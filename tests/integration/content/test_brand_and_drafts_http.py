"""Brand CRUD, flagged drafts (unschedulable until edited or approved), moderation, repurpose and rewrite."""

from __future__ import annotations

import httpx

from lily.content.fitting import join_thread, problems
from tests.support.identity import add_member

BRAND = {"tone": "professional", "industry": "logistics", "audience": "operations managers",
         "keywords": ["routing", "fleet"], "avoid": ["synergy"], "banned_words": ["guarantee"],
         "emoji_policy": "none"}


def test_brand_crud_validation_and_versions(http, owner):
    org, headers = owner["org_id"], owner["headers"]
    # Given no profile, the defaults are shown as version 0
    r = http.get(f"/api/orgs/{org}/brand", headers=headers)
    assert r.status_code == 200 and r.json()["version"] == 0 and r.json()["tone"] == "professional"
    # Invalid profiles are refused with a 4xx code
    for bad in ({"keywords": ["fleet", "Fleet"]}, {"keywords": ["x" * 61]}, {"keywords": ["fleet"], "avoid": ["fleet"]},
                {"default_hashtags": ["#"]}, {"tone": "angry"}, {"keywords": ["k"] * 21}, {"unknown": 1},
                {"expected_version": True}):  # JSON true is not the version 1
        r = http.put(f"/api/orgs/{org}/brand", headers=headers, json=bad)
        assert r.status_code == 422 and r.json()["error"]["code"].startswith("VALIDATION"), (bad, r.text)
    # Create, then replace with the version read; a stale version is a 409
    assert http.put(f"/api/orgs/{org}/brand", headers=headers, json=BRAND).json()["version"] == 1
    r = http.put(f"/api/orgs/{org}/brand", headers=headers,
                 json={**BRAND, "default_hashtags": ["fleet ops", "#fleetops"], "expected_version": 1})
    assert r.status_code == 422 and "duplicate" in r.text  # the same tag once normalised
    r = http.put(f"/api/orgs/{org}/brand", headers=headers,
                 json={**BRAND, "default_hashtags": ["fleet ops", "#routing"], "expected_version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert r.json()["default_hashtags"] == ["#FleetOps", "#routing"]
    assert http.put(f"/api/orgs/{org}/brand", headers=headers, json={**BRAND, "expected_version": 1}).status_code == 409
    # An editor may read but not change it
    editor = add_member(http, headers, org, "editor")
    assert http.get(f"/api/orgs/{org}/brand", headers=editor["headers"]).status_code == 200
    assert http.put(f"/api/orgs/{org}/brand", headers=editor["headers"], json=BRAND).status_code == 403
    assert http.delete(f"/api/orgs/{org}/brand", headers=headers).status_code == 204
    assert http.get(f"/api/orgs/{org}/brand", headers=headers).json()["version"] == 0


def _draft(http, owner, text: str, platform: str = "linkedin") -> dict:
    r = http.post(f"/api/orgs/{owner['org_id']}/content/rewrite", headers=owner["headers"],
                  json={"text": text, "platform": platform, "action": "fix_to_platform"})
    assert r.status_code == 201, r.text
    return r.json()["drafts"][0]


def test_an_avoided_or_banned_word_flags_the_draft_until_edited_or_approved(http, owner, sandbox):
    org, headers = owner["org_id"], owner["headers"]
    http.put(f"/api/orgs/{org}/brand", headers=headers, json=BRAND)
    # Given a draft using an avoided word
    flagged = _draft(http, owner, "Our routing team found real synergy in fleet planning this quarter.")
    assert flagged["status"] == "flagged" and not flagged["schedulable"]
    assert flagged["score"]["flagged"] and flagged["score"]["hits"] == ["synergy"]
    avoid = next(r for r in flagged["score"]["reasons"] if r["check"] == "avoid")
    assert not avoid["ok"] and "synergy" in avoid["detail"]
    # Then it cannot be saved as a post (so never scheduled)
    r = http.post(f"/api/orgs/{org}/content/drafts/save", headers=headers,
                  json={"draft_ids": [flagged["draft_id"]], "connections": {"linkedin": "conn_any"}})
    assert r.status_code == 409 and r.json()["error"]["code"] == "VALIDATION_003"
    assert r.json()["error"]["details"]["hits"] == ["synergy"]
    # When it is edited clean, it is schedulable again
    r = http.patch(f"/api/orgs/{org}/content/drafts/{flagged['draft_id']}", headers=headers,
                   json={"text": "Our routing team found real gains in fleet planning this quarter."})
    assert r.status_code == 200 and r.json()["status"] == "draft" and r.json()["schedulable"]
    # And a banned word can be explicitly approved by an admin (not by an editor)
    banned = _draft(http, owner, "We guarantee faster routing for every fleet.")
    assert banned["status"] == "flagged" and banned["score"]["hits"] == ["guarantee"]
    editor = add_member(http, headers, org, "editor")
    url = f"/api/orgs/{org}/content/drafts/{banned['draft_id']}/approve"
    assert http.post(url, headers=editor["headers"]).status_code == 403
    r = http.post(url, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["schedulable"]


def test_on_brand_scores_higher_than_off_brand(http, owner, sandbox):
    org, headers = owner["org_id"], owner["headers"]
    http.put(f"/api/orgs/{org}/brand", headers=headers, json=BRAND)
    on = _draft(http, owner, "Clear routing data helps every fleet team measure results. " * 12)
    off = _draft(http, owner, "lol 🎉 party time with synergy 🎉🎉")
    assert on["score"]["score"] > off["score"]["score"] + 30
    assert {r["check"] for r in off["score"]["reasons"] if not r["ok"]} >= {"keywords", "avoid", "length"}
    assert "🎉" not in off["text"]  # the brand's emoji policy is none: fitting removed them


def test_moderation_blocks_a_prompt_and_stores_nothing(http, owner, sandbox):
    org, headers = owner["org_id"], owner["headers"]
    r = http.post(f"/api/orgs/{org}/content/generate", headers=headers,
                  json={"topic": "how to kill the competition", "platforms": ["x"]})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "CONTENT_004" and err["details"] == {"field": "topic", "categories": ["violence"]}
    assert http.get(f"/api/orgs/{org}/content/drafts", headers=headers).json()["items"] == []
    assert [q for q in sandbox.state.requests if q["path"] == "/v1/chat/completions"] == []


def test_moderation_blocks_outputs_and_reports_them(http, owner, sandbox):
    org, headers = owner["org_id"], owner["headers"]
    http.put(f"/api/orgs/{org}/brand", headers=headers, json={**BRAND, "keywords": ["fleet"]})
    # the sandbox's moderation flags a word the generated text will contain but the topic does not
    httpx.post(f"{sandbox.base_url}/_sandbox/config", json={"moderation_terms": {"harassment": ["fleet"]}}, timeout=5)
    r = http.post(f"/api/orgs/{org}/content/generate", headers=headers,
                  json={"topic": "warehouse routing", "platforms": ["linkedin"]})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "CONTENT_004" and err["details"]["blocked"][0]["categories"] == ["harassment"]
    assert http.get(f"/api/orgs/{org}/content/drafts", headers=headers).json()["items"] == []


def test_repurpose_a_long_text_into_a_thread_that_reassembles(http, owner, sandbox):
    org, headers = owner["org_id"], owner["headers"]
    text = " ".join(f"Sentence {i} explains one more detail about fleet routing and why it matters." for i in range(12))
    r = http.post(f"/api/orgs/{org}/content/repurpose", headers=headers,
                  json={"text": text, "platforms": ["x"], "mode": "thread"})
    assert r.status_code == 201, r.text
    [draft] = r.json()["drafts"]
    assert len(draft["parts"]) > 1 and draft["parts"][0].endswith(f" 1/{len(draft['parts'])}")
    assert join_thread(draft["parts"]) == text
    assert all(not problems("x", p) for p in draft["parts"])
    assert [q for q in sandbox.state.requests if q["path"] == "/v1/chat/completions"] == []
    # a thread cannot be saved as a post yet
    r = http.post(f"/api/orgs/{org}/content/drafts/save", headers=headers,
                  json={"draft_ids": [draft["draft_id"]], "connections": {"x": "conn_any"}})
    assert r.status_code == 409


def test_repurpose_a_text_for_other_platforms_and_rewrite_it(http, owner, sandbox):
    org, headers = owner["org_id"], owner["headers"]
    r = http.post(f"/api/orgs/{org}/content/repurpose", headers=headers,
                  json={"text": "We cut delivery times by a fifth with smarter routing. Here is how.",
                        "platforms": ["facebook", "instagram", "linkedin"]})
    assert r.status_code == 201, r.text
    assert sorted(d["platform"] for d in r.json()["drafts"]) == ["facebook", "instagram", "linkedin"]
    sent = [q for q in sandbox.state.requests if q["path"] == "/v1/chat/completions"][-1]["body"]
    assert "We cut delivery times by a fifth" in sent["messages"][1]["content"]
    for action, extra in (("shorten", {}), ("lengthen", {}), ("change_tone", {"tone": "casual"})):
        r = http.post(f"/api/orgs/{org}/content/rewrite", headers=headers,
                      json={"text": "Smarter routing cut our delivery times.", "platform": "x", "action": action,
                            **extra})
        assert r.status_code == 201, (action, r.text)
        assert r.json()["drafts"][0]["kind"] == "rewrite" and r.json()["model"] == "gpt-4.1-mini"
    r = http.post(f"/api/orgs/{org}/content/rewrite", headers=headers,
                  json={"text": "x", "platform": "x", "action": "change_tone"})
    assert r.status_code == 422


def test_templates_are_listed(http, owner):
    r = http.get(f"/api/orgs/{owner['org_id']}/content/templates", headers=owner["headers"])
    assert r.status_code == 200 and len(r.json()["items"]) == 80
