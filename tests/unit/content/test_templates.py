"""Templates as data: every tone × structure × platform is covered; placeholders are checked at load."""

import json

import pytest

from lily.content import templates
from lily.content.schemas import PLATFORMS, STRUCTURES, TONES


def test_every_tone_structure_and_platform_has_a_template():
    catalog = templates.catalog()
    assert templates.missing(catalog) == []
    assert len(catalog) == len(TONES) * len(STRUCTURES) * len(PLATFORMS)


def test_a_missing_combination_is_reported():
    raw = json.loads(templates.DATA.read_text())
    raw["templates"] = [t for t in raw["templates"] if (t["tone"], t["structure"], t["platform"]) !=
                        ("casual", "thread", "instagram")]
    assert templates.missing(templates.parse(raw)) == ["casual.thread.instagram"]


def _one(prompt: str, **overrides) -> dict:
    return {"templates": [{"tone": "casual", "structure": "thread", "platform": "x", "instructions": "Be kind.",
                           "prompt": prompt, **overrides}]}


def test_an_unknown_placeholder_fails_at_load():
    with pytest.raises(templates.TemplateError, match=r"unknown placeholder\(s\) \['colour'\]"):
        templates.parse(_one("About {topic} in {colour}"))
    with pytest.raises(templates.TemplateError, match="unknown placeholder"):
        templates.parse(_one("ok", instructions="{secret_key}"))


def test_malformed_braces_unknown_axes_and_duplicates_fail_at_load():
    with pytest.raises(templates.TemplateError, match="malformed"):
        templates.parse(_one("About {topic"))
    with pytest.raises(templates.TemplateError, match="unknown tone"):
        templates.parse(_one("ok", tone="angry"))
    twice = _one("ok")
    twice["templates"] *= 2
    with pytest.raises(templates.TemplateError, match="defined twice"):
        templates.parse(twice)


def test_every_shipped_template_renders_with_the_known_placeholders():
    values = {name: f"<{name}>" for name in templates.PLACEHOLDERS}
    for t in templates.catalog().values():
        instructions, prompt = t.render(values)
        assert "<topic>" in prompt and "{" not in prompt and instructions
