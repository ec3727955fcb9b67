"""Property-based: for random topics, brand profiles, platforms and structures, every variant passes the
publishing validator, and threads reassemble to the source text."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lily.content import fitting
from lily.content.ctas import cta_for
from lily.content.schemas import GOALS, PLATFORMS, STRUCTURES, TONES, BrandIn
from lily.local.sandboxes.openai.textgen import Brief, hashtags, write_post
from lily.social.constraints import violations, x_weighted_length

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüçñ"
word = st.text(alphabet=LETTERS, min_size=1, max_size=12)
# Real-world tokens: words, URLs (23 on X), emoji (2 on X), CJK (2 on X), hashtags, mentions, punctuation.
token = st.one_of(
    st.text(alphabet=LETTERS + "0123456789'-", min_size=1, max_size=40),
    st.builds(lambda w: f"https://{w.lower()}.example.com/{w}", word),
    st.sampled_from(["🚀", "👍🏽", "🇫🇷", "👩‍💻", "✨"]),
    st.text(alphabet="日本語中文한국어", min_size=1, max_size=6),
    st.builds(lambda w: "#" + w, word),
    st.builds(lambda w: "@" + w, word),
    st.sampled_from([".", "!", "?", ",", "…", "(", ")", "*", "_", "<", ">", "|", "~"]),
)
sentence = st.lists(token, min_size=1, max_size=25).map(lambda ws: " ".join(ws) + ".")
source_text = st.lists(sentence, min_size=1, max_size=60).map(" ".join)
brand = st.builds(
    BrandIn,
    tone=st.sampled_from(TONES),
    keywords=st.lists(word, max_size=4, unique_by=str.casefold),
    emoji_policy=st.sampled_from(["none", "sparse", "free"]),
    default_hashtags=st.lists(word.map(lambda w: "#" + w), max_size=5, unique_by=str.casefold),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid(platform: str, part: str) -> bool:
    return [v.rule for v in violations(platform, part) if v.rule != "media_required"] == []


@SETTINGS
@given(text=source_text, tags=st.lists(word, max_size=40), profile=brand, platform=st.sampled_from(PLATFORMS),
       structure=st.sampled_from(STRUCTURES), goal=st.sampled_from(GOALS))
def test_every_fitted_variant_passes_the_platform_validator(text, tags, profile, platform, structure, goal):
    assume(fitting.strip_emoji(text).strip(" .!?,…()*_<>|~") if profile.emoji_policy == "none" else True)
    parts, used = fitting.fit(platform, text, structure=structure, hashtags=tags,
                              brand_hashtags=profile.default_hashtags, cta=cta_for(platform, goal, profile),
                              emoji_policy=profile.emoji_policy)
    assert parts and all(_valid(platform, p) for p in parts)
    assert all(fitting.fits(platform, p) for p in parts)  # LinkedIn: also after little-text escaping
    assert len(parts) == 1 or (platform == "x" and structure in ("thread", "long_post"))


@SETTINGS
@given(topic=st.lists(word, min_size=1, max_size=6).map(" ".join), profile=brand,
       platform=st.sampled_from(PLATFORMS), structure=st.sampled_from(STRUCTURES), seed=st.integers())
def test_sandbox_writer_output_fitted_passes_the_validator(topic, profile, platform, structure, seed):
    """What local mode generates (the sandbox's writer for this brief) always ends up valid."""
    brief = Brief(topic=topic, keywords=profile.keywords, tone=profile.tone, structure=structure,
                  emoji=profile.emoji_policy != "none")
    text = write_post(brief, seed, platform=platform)
    assert topic.casefold() in text.casefold()
    parts, _ = fitting.fit(platform, text, structure=structure, hashtags=hashtags(brief, seed),
                           brand_hashtags=profile.default_hashtags, cta=cta_for(platform, "engagement", profile),
                           emoji_policy=profile.emoji_policy)
    assert all(_valid(platform, p) for p in parts)


@SETTINGS
@given(text=source_text)
def test_threads_reassemble_to_the_source_text(text):
    parts = fitting.split_thread(text)
    assert fitting.join_thread(parts) == " ".join(text.split())
    assert all(x_weighted_length(p) <= 280 and _valid("x", p) for p in parts)
    if len(parts) > 1:
        assert [p.rsplit(" ", 1)[1] for p in parts] == [f"{i}/{len(parts)}" for i in range(1, len(parts) + 1)]


def test_a_thread_splits_on_sentence_boundaries_when_it_can():
    sentences = [f"Sentence number {i} is short and complete." for i in range(30)]
    parts = fitting.split_thread(" ".join(sentences))
    for part in parts:
        body = part.rsplit(" ", 1)[0]
        assert body.endswith(".") and body.startswith("Sentence")


def test_an_over_long_word_is_cut_and_still_valid():
    parts = fitting.split_thread("start " + "a" * 700 + " end")
    assert len(parts) == 4 and all(x_weighted_length(p) <= 280 for p in parts)
    assert "".join(fitting.join_thread(parts).split()) == "start" + "a" * 700 + "end"
