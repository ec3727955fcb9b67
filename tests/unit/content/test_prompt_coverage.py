"""Prompt coverage: every template, rendered with a brand, carries everything the brand says about its voice into
what the provider receives — keywords, banned and avoided words, audience, industry, example posts and the emoji
policy. A template (or the values it is rendered with) that drops one fails here."""

from __future__ import annotations

import pytest

from lily.content import pipeline, templates
from lily.content.schemas import BrandIn

BRAND = BrandIn(tone="casual", industry="artisan bakeries", audience="night-shift nurses",
                keywords=["sourdough"], avoid=["cheap"], banned_words=["miracle"], emoji_policy="none",
                example_posts=["Our rye starter turned nine today and it still outworks us.",
                               "Flour on the counter, crumbs on the floor, nobody complaining."])
EXPECTED = {"audience": "night-shift nurses", "industry": "artisan bakeries", "keywords": "sourdough",
            "avoid": "cheap", "banned word": "miracle", "emoji policy": "none",
            "first example": BRAND.example_posts[0], "second example": BRAND.example_posts[1]}
TEMPLATES = sorted(templates.catalog().values(), key=lambda t: t.template_id)


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.template_id for t in TEMPLATES])
def test_the_rendered_prompt_carries_the_whole_brand(template):
    job = pipeline.Job(kind="generate", topic="a new rye loaf", platforms=[template.platform], tone=template.tone,
                       structure=template.structure, goal="engagement", n=1)
    instructions, prompt = template.render(pipeline._values(job, BRAND, template.platform))
    sent = f"{instructions}\n{prompt}"
    missing = [name for name, value in EXPECTED.items() if value not in sent]
    assert not missing, f"{template.template_id} drops {missing}"
    assert "emoji" in sent.lower()  # the policy is named as a policy, not a stray word


def test_the_check_fails_when_a_field_is_dropped():
    template = TEMPLATES[0]
    job = pipeline.Job(kind="generate", topic="a new rye loaf", platforms=[template.platform], tone=template.tone,
                       structure=template.structure, goal="engagement", n=1)
    values = pipeline._values(job, BRAND, template.platform) | {"audience": "everyone"}
    instructions, prompt = template.render(values)
    assert "night-shift nurses" not in f"{instructions}\n{prompt}"
