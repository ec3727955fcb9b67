"""The OpenAI sandbox's writer: deterministic (seeded by the request), topical and varied text.

It reads a brief from the prompt's ``Label: value`` lines — ``Topic``, ``Keywords``, ``Audience``,
``Industry``, ``Tone``, ``Structure``, ``Platform``, ``Emoji`` (the lines Lily's templates write) — and writes
sentences from a bank per tone, so local output reads like a post, not like lorem ipsum. A prompt without a
``Topic`` line takes its topic from the *user* content it was given (its most frequent content words, never the
system prompt's instructions), and a prompt of numbered sections (``Theme 1:`` …, as research synthesis writes)
gives each section its own topic (:func:`sections`), so each theme's title names what its material is about.
The same request always gets the same text.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field

_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z ]{1,30}):\s*(.+?)\s*$", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]+")
_STOP = {"the", "and", "for", "with", "that", "this", "from", "your", "our", "about", "into", "what", "how",
         "why", "are", "is", "of", "to", "in", "on", "a", "an", "write", "post", "posts", "please"}


@dataclass
class Brief:
    topic: str
    keywords: list[str] = field(default_factory=list)
    audience: str = "teams"
    industry: str = "our industry"
    tone: str = "professional"
    structure: str = "single_post"
    platform: str = ""
    emoji: bool = True
    sections: list[str] = field(default_factory=list)  # per numbered section of the user content: its topic

    def words(self) -> list[str]:
        return self.keywords or [w for w in _WORD.findall(self.topic) if w.lower() not in _STOP] or [self.topic]


_SECTION = re.compile(r"^\s*(?:Theme|Section|Part)\s+(\d+)\s*:\s*$", re.MULTILINE | re.IGNORECASE)
_LABELS = {"industry", "topics we watch", "competitors", "public handles", "none", "given", "engagement",
           "likes", "comments", "shares", "impressions", "clicks", "theme", "our", "post"}


def key_phrase(text: str, n: int = 3) -> str:
    """The ``n`` most frequent content words of ``text`` (ties: first seen), as a phrase; "" when it has none."""
    words = [w.lower() for w in _WORD.findall(text)]
    counts: dict[str, int] = {}
    for w in words:
        if len(w) > 3 and w not in _STOP and w not in _LABELS:
            counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts, key=lambda w: (-counts[w], words.index(w)))
    return " ".join(ranked[:n])


def sections(user: str) -> list[str]:
    """The topic of each numbered section (``Theme 1:`` …) of the user content, in order."""
    marks = list(_SECTION.finditer(user))
    return [key_phrase(user[m.end():(marks[i + 1].start() if i + 1 < len(marks) else len(user))])
            for i, m in enumerate(marks)]


def brief_of(text: str, user: str | None = None) -> Brief:
    """The brief of a request (``text``: system and user content); without a ``Topic`` line the topic comes from
    ``user``, the content the request gave (else ``text``)."""
    fields = {k.strip().lower(): v for k, v in _LINE.findall(text)}
    topic = fields.get("topic")
    if not topic:
        topic = key_phrase(user if user is not None else text) or "our work"
    found = [s for s in sections(user)] if user else []
    keywords = [k.strip() for k in re.split(r"[,;]", fields.get("keywords", "")) if k.strip()]
    emoji = fields.get("emoji", "allowed").lower()
    return Brief(topic=topic, keywords=keywords[:8], audience=fields.get("audience", "teams"),
                 industry=fields.get("industry", "our industry"),
                 tone=fields.get("tone", "professional").lower().split()[0],
                 structure=fields.get("structure", "single_post").lower().replace(" ", "_"),
                 platform=fields.get("platform", "").lower(), emoji=not emoji.startswith(("none", "no")),
                 sections=found if all(found) else [])


def rng_for(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))  # noqa: S311 - deterministic text, not security


HOOKS = [
    "Most {aud} underestimate how much {topic} shapes an ordinary week.",
    "Here is what we learned about {topic} this quarter.",
    "{Topic} is not a trend any more; it is how good work gets done.",
    "A question we hear from {aud} every week: where do we start with {topic}?",
    "Three years ago nobody in {ind} talked about {topic}.",
    "If {topic} feels overwhelming, you are not alone.",
    "The best {aud} we work with treat {topic} as a habit, not a project.",
    "We tried something new with {topic} last month, and the results surprised us.",
]
BODY = {
    "professional": [
        "The teams that win start small, measure {kw} and adjust every sprint.",
        "In {ind}, {kw} is where the real return on {topic} shows up.",
        "Clear ownership and a simple scorecard turn {topic} from a slide into results.",
        "We cut review time by a third once {kw} became part of the weekly rhythm.",
        "The data is consistent: consistent {kw} beats occasional heroics.",
        "Start with one workflow, document it, then scale what works.",
    ],
    "casual": [
        "Honestly, {kw} made our Mondays so much easier.",
        "We kept it simple: one small change to {kw}, every single week.",
        "No fancy tools needed, just a bit of {kw} and some patience.",
        "Our favourite part? Watching {aud} pick up {kw} without a manual.",
        "Turns out {topic} is way more fun when you stop overthinking it.",
        "Coffee, a whiteboard and an honest chat about {kw}. That was the whole plan.",
    ],
    "educational": [
        "Step one: define what {kw} means for your team in one sentence.",
        "A quick primer: {topic} works best when {kw} is measured before and after.",
        "Common mistake: treating {kw} as a one-off instead of a repeatable process.",
        "Tip: pair every {kw} change with one metric you already track.",
        "Here is the short version: {topic} = clear goals + {kw} + steady feedback.",
        "Did you know? Small, frequent improvements to {kw} compound faster than big launches.",
    ],
    "entertaining": [
        "Plot twist: the secret ingredient of {topic} was {kw} all along.",
        "Our team debated {kw} for an hour. The whiteboard lost.",
        "If {topic} were a movie, {kw} would steal every scene.",
        "We asked the intern to explain {kw}. Now the intern runs the meeting.",
        "Breaking news: {aud} discover that {kw} actually works.",
        "Rule number one of {topic}: never underestimate {kw}.",
    ],
    "inspirational": [
        "Every expert in {topic} started exactly where you are today.",
        "Progress in {kw} is built one honest step at a time.",
        "The future of {ind} belongs to people who keep learning about {kw}.",
        "Small wins with {kw} add up to a story worth telling.",
        "Believe in the slow, steady work of {kw}; it always shows up in the end.",
        "What you build with {topic} today is what your customers feel tomorrow.",
    ],
}
CLOSERS = [
    "What has worked for you?",
    "Curious how others approach {topic}.",
    "We will share the full playbook soon.",
    "Save this for your next planning session.",
    "More on {kw} next week.",
]
EMOJI = ["🚀", "💡", "✅", "📈", "🙌", "✨"]
LENGTH = {  # sentences per (platform, structure)
    "x": 2, "instagram": 4, "facebook": 4, "linkedin": 6, "": 3,
}
STRUCTURE_LENGTH = {"thread": 8, "long_post": 10, "article": 10, "carousel": 5, "carousel_captions": 5}


def _fill(pattern: str, brief: Brief, rng: random.Random) -> str:
    kw = rng.choice(brief.words())
    topic = brief.topic
    return pattern.format(topic=topic, Topic=topic[:1].upper() + topic[1:], kw=kw, aud=brief.audience,
                          ind=brief.industry)


def sentence_count(brief: Brief, platform: str = "") -> int:
    platform = platform or brief.platform
    if brief.structure in STRUCTURE_LENGTH:
        return STRUCTURE_LENGTH[brief.structure]
    return LENGTH.get(platform, 3)


def write_post(brief: Brief, seed: object, platform: str = "", sentences: int | None = None) -> str:
    """A post about the brief's topic: a hook, body sentences in its tone, a closer."""
    rng = rng_for(seed, platform)
    n = max(1, sentences or sentence_count(brief, platform))
    body = list(BODY.get(brief.tone, BODY["professional"]))
    rng.shuffle(body)
    picked = [rng.choice(HOOKS)] + [body[i % len(body)] for i in range(max(0, n - 2))]
    if n > 1:
        picked.append(rng.choice(CLOSERS))
    text = " ".join(_fill(p, brief, rng) for p in picked)
    if brief.emoji and brief.tone in ("casual", "entertaining", "inspirational") and rng.random() < 0.7:
        text += " " + rng.choice(EMOJI)
    return text


TITLE_FORMS = ["{Topic}: what changed", "{Topic} in practice", "Why {topic} matters now",
               "{Topic}: the signals to watch"]


def write_title(brief: Brief, seed: object) -> str:
    rng = rng_for(seed, "title")
    return _fill(rng.choice(TITLE_FORMS), brief, rng)


def write_sentence(brief: Brief, seed: object) -> str:
    rng = rng_for(seed)
    return _fill(rng.choice(HOOKS), brief, rng)


def hashtags(brief: Brief, seed: object, n: int = 3) -> list[str]:
    rng = rng_for(seed, "tags")
    words = [re.sub(r"[^A-Za-z0-9]", "", w.title()) for w in brief.words() + _WORD.findall(brief.industry)]
    words = [w for w in dict.fromkeys(words) if w]
    rng.shuffle(words)
    return ["#" + w for w in words[:n]]
