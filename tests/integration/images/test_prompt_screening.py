"""Image prompts never reach the provider unscreened (issue 25 security 2): a stored style's text is moderated when
it is written, and the final prompt as sent (vault style, settings, visual style, mood, tone, industry, brand
keywords) when a job is accepted."""

from __future__ import annotations

from lily.images.models import ImageStyle
from tests.integration.images.conftest import on_plan


def test_a_vault_style_with_illicit_text_is_refused_when_written(http, owner, sandbox):
    base = f"/api/orgs/{owner['org_id']}/images/styles"
    r = http.post(base, headers=owner["headers"],
                  json={"name": "still life", "prompt": "cocaine and counterfeit banknotes on a table"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "CONTENT_004"
    assert r.json()["error"]["details"] == {"stage": "style", "field": "prompt", "categories": ["illicit"]}
    r = http.post(base, headers=owner["headers"], json={"name": "still life", "prompt": "fruit on a table"})
    assert r.status_code == 201, r.text
    r = http.put(f"{base}/{r.json()['style_id']}", headers=owner["headers"],
                 json={"name": "still life", "mood": "counterfeit glamour"})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "mood", r.text


def test_the_prompt_as_sent_is_screened_whatever_field_carried_the_words(http, owner, sandbox):
    on_plan(owner, "pro")
    url = f"/api/orgs/{owner['org_id']}/images"
    for field, value in (("visual_style", "counterfeit money style"), ("mood", "cocaine chic"),
                         ("industry_context", "meth lab supplies"), ("brand_keywords", ["counterfeit"])):
        r = http.post(url, headers=owner["headers"], json={"prompt": "A still life on a table", field: value})
        assert r.status_code == 422, (field, r.text)
        assert r.json()["error"]["details"] == {"stage": "prompt", "field": "prompt_as_sent",
                                                "categories": ["illicit"]}, field


def test_a_style_stored_before_screening_is_caught_in_the_prompt_as_sent(http, owner, sandbox):
    from lily.core import clock

    on_plan(owner, "pro")
    now = clock.now()
    ImageStyle(owner["org_id"], "sty_01jdoldstyle0000000000000a", data={
        "name": "old", "description": "", "visual_style": None, "mood": None,
        "prompt": "cocaine and counterfeit banknotes on a table", "palette": [], "avoid": []},
        created_at=now, updated_at=now).save()
    r = http.post(f"/api/orgs/{owner['org_id']}/images", headers=owner["headers"],
                  json={"prompt": "A still life", "style_id": "sty_01jdoldstyle0000000000000a"})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "prompt_as_sent", r.text
