"""The sentiment of an inbox item, by a small documented word list (no AI call, no cost, same answer every time).

The rule (docs/inbox.md): the text is lower-cased and split into words; each word in :data:`POSITIVE` counts +1,
each in :data:`NEGATIVE` -1, and a negator (:data:`NEGATORS`) within the two words before flips the next scored
word. A sum above zero is ``positive``, below zero ``negative``, else ``neutral``. It is a triage hint for the
inbox's filter, not a judgement: sarcasm and other languages come out ``neutral`` or wrong.
"""

from __future__ import annotations

import re

POSITIVE = frozenset(
    "love loved loving great awesome amazing excellent fantastic good nice thanks thank thx wonderful perfect "
    "beautiful best brilliant happy glad helpful recommend cool impressive superb delicious enjoy enjoyed".split())
NEGATIVE = frozenset(
    "hate hated awful terrible bad worst horrible broken scam refund angry disappointed disappointing useless "
    "slow rude problem issue issues bug bugs never wrong poor fail failed failing unacceptable annoying".split())
NEGATORS = frozenset("not no isn't wasn't don't doesn't didn't never hardly".split())
SENTIMENTS = ("positive", "negative", "neutral")

_WORD = re.compile(r"[a-z']+")


def sentiment(text: str) -> str:
    """``positive``, ``negative`` or ``neutral`` of ``text`` (see the module's rule)."""
    score, flip_left = 0, 0
    for word in _WORD.findall(text.lower()):
        value = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
        if value and flip_left:
            value, flip_left = -value, 0
        elif word in NEGATORS:
            flip_left = 2
            continue
        score += value
        flip_left = max(0, flip_left - 1)
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"
