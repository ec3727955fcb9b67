"""Hashtags, CTAs and the brand score."""

import pytest

from lily.content import hashtags
from lily.content.ctas import cta_for
from lily.content.schemas import BrandIn
from lily.content.scoring import score


@pytest.mark.parametrize(("raw", "norm"), [
    ("remote work", "#RemoteWork"), ("#AI", "#AI"), ("＃café", "#café"), ("fleet-ops", "#FleetOps"),
    ("#", None), ("2024", None), ("  ", None), ("#hello!", "#hello"),
])
def test_normalise(raw, norm):
    assert hashtags.normalise(raw) == norm


def test_dedupe_keeps_the_first_spelling_in_order():
    assert hashtags.dedupe(["#b", "a", "#B", "#A", "c c", "#CC"]) == ["#b", "#a", "#CC"]


def test_select_puts_brand_defaults_first_within_the_platform_limit(monkeypatch):
    assert hashtags.select("x", ["#one", "#two"], ["#brand"]) == ["#brand", "#one"]
    assert hashtags.select("linkedin", ["#one", "#Brand"], ["#brand"], text="hi #one") == ["#brand"]
    monkeypatch.setenv("LILY_SOCIAL_INSTAGRAM_HASHTAG_LIMIT", "5")
    from lily.social.settings import social_settings

    social_settings.cache_clear()
    try:
        assert hashtags.limit_for("instagram") == 5
        assert len(hashtags.select("instagram", [f"#t{i}x" for i in range(20)], [])) == 5
    finally:
        social_settings.cache_clear()


def test_cta_prefers_the_brands_own():
    brand = BrandIn(ctas={"x": {"sales": "Grab yours today."}})
    assert cta_for("x", "sales", brand) == "Grab yours today."
    assert cta_for("x", "leads", brand) == "DM us to learn more."


BRAND = BrandIn(tone="educational", keywords=["onboarding", "mentoring"], avoid=["synergy"], banned_words=["cheap"],
                emoji_policy="none")


def test_on_brand_text_scores_high_with_every_reason_ok():
    text = ("Tip: onboarding works when mentoring starts on day one. Step one is a buddy, step two a checklist, "
            "and step three a short weekly check-in.")
    s = score(text, "x", BRAND)
    assert s.score == 100 and not s.flagged and all(r.ok for r in s.reasons)


def test_off_brand_text_scores_low_and_banned_words_flag_it():
    s = score("Cheap synergy!!! 🎉", "x", BRAND)
    assert s.flagged and s.hits == ["cheap", "synergy"]
    failed = {r.check for r in s.reasons if not r.ok}
    assert failed == {"keywords", "banned_words", "avoid", "length", "emoji"}  # no example posts: voice not judged
    assert s.score < 20


def test_words_match_whole_words_only():
    assert not score("Cheapest onboarding tips", "x", BRAND).flagged
