"""Org image settings and the style vault over HTTP: CRUD, validation, optimistic versions, scopes, and their
effect on the prompt a job sends."""

from __future__ import annotations

from tests.integration.images.conftest import on_plan, run_job, submit
from tests.support.identity import create_api_key


def test_settings_and_styles_personalise_generation(http, local_suite, owner, sandbox):
    org, headers = owner["org_id"], owner["headers"]
    on_plan(owner, "starter")
    base = f"/api/orgs/{org}/images"
    # Settings: defaults until saved, then versioned with an optimistic lock
    r = http.get(f"{base}/settings", headers=headers)
    assert r.status_code == 200 and r.json()["version"] == 0 and r.json()["default_model"] == "auto"
    body = {"default_model": "grok2_basic", "default_quality": "draft", "primary_color": "#112233",
            "palette": ["#AABBCC"], "textures": ["paper grain"], "composition_rules": ["lots of negative space"],
            "avoid_colors": ["#FF00FF"]}
    r = http.put(f"{base}/settings", headers=headers, json={**body, "expected_version": 0})
    assert r.status_code == 200 and r.json()["version"] == 1 and r.json()["palette"] == ["#aabbcc"]
    assert http.put(f"{base}/settings", headers=headers, json={**body, "expected_version": 0}).status_code == 409
    assert http.put(f"{base}/settings", headers=headers, json={**body, "primary_color": "blue"}).status_code == 422
    assert http.put(f"{base}/settings", headers=headers, json={**body, "expected_version": True}).status_code == 422
    assert http.put(f"{base}/settings", headers=headers, json={**body, "default_model": "dall" + "-e-2"}
                    ).status_code == 422
    # Styles: create, list, read, update with versions, unique names, delete
    style = {"name": "Harbor blues", "visual_style": "flat vector illustration", "mood": "calm",
             "prompt": "soft morning light, gentle waves", "palette": ["#0A7CFF", "#FFFFFF"], "avoid": ["boats"]}
    r = http.post(f"{base}/styles", headers=headers, json=style)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["style_id"].startswith("sty_") and created["version"] == 1
    assert http.post(f"{base}/styles", headers=headers, json=style).status_code == 409
    assert http.post(f"{base}/styles", headers=headers, json={**style, "name": "x", "palette": ["blue"]}
                     ).status_code == 422
    url = f"{base}/styles/{created['style_id']}"
    r = http.put(url, headers=headers, json={**style, "mood": "serene", "expected_version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["mood"] == "serene"
    assert http.put(url, headers=headers, json={**style, "expected_version": 1}).status_code == 409
    assert http.put(url, headers=headers, json={**style, "expected_version": True}).status_code == 422
    assert [s["name"] for s in http.get(f"{base}/styles", headers=headers).json()["items"]] == ["Harbor blues"]
    # A key holding images:read reads but cannot generate
    key_headers = create_api_key(http, headers, org, scopes=["images:read"])["headers"]
    assert http.get(url, headers=key_headers).status_code == 200
    r = http.post(base, headers=key_headers, json={"prompt": "A lighthouse"})
    assert r.status_code == 403 and r.json()["error"]["details"]["scope"] == "images:write"
    # When a job names the style and leaves model and quality to the org's defaults
    job = submit(http, owner, style_id=created["style_id"], platform="linkedin")
    assert job["model"] == "grok2_basic" and job["contract"]["quality"] == "draft"
    done = run_job(http, local_suite, owner, job)
    assert done["status"] == "done", done
    # Then the prompt carries the style, the palette, the org's rules, and the avoided things folded in
    prompt = next(q["body"] for q in sandbox.state.requests if q["path"] == "/v1/images/generations")["prompt"]
    for part in ("flat vector illustration", "soft morning light", "serene", "#0a7cff", "paper grain",
                 "lots of negative space", "Avoid: boats, the colour #ff00ff."):
        assert part in prompt, (part, prompt)
    assert http.delete(url, headers=headers).status_code == 204
    assert http.get(url, headers=headers).status_code == 404
    assert http.delete(f"{base}/settings", headers=headers).status_code == 204
