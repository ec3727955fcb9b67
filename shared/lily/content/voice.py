"""Brand voice, measured independently of the generator: how close a draft is to the brand's own example posts
in an embedding space (the deployment's embedding model through the AI port; in local mode the AI sandbox embeds
with the local MiniLM sentence model, which writes none of the drafts).

A draft's voice similarity is the mean cosine of its embedding to its two nearest example posts (the nearest one
when the brand has one). The score's ``voice`` check turns it into 0–10 points linearly between
``LILY_CONTENT_VOICE_FLOOR`` (0 points) and ``LILY_CONTENT_VOICE_FULL`` (10 points). The banned and avoided words
are checked on the text itself (:mod:`lily.content.scoring`). Drafts and examples are embedded in one call; the
call is skipped when the brand has no example posts, and an embedding failure leaves the voice unmeasured (the
draft is still stored; the reason says so) rather than failing a generation that was already paid for.
"""

from __future__ import annotations

import math

from lily.ai.ports import AIPort, CallContext
from lily.core.errors import LilyError
from lily.core.observability import count


def _unit(v: list[float]) -> list[float]:
    norm = math.sqrt(math.fsum(x * x for x in v)) or 1.0
    return [x / norm for x in v]


def similarity_to_examples(vector: list[float], examples: list[list[float]]) -> float:
    """Mean cosine to the two nearest examples (unit vectors)."""
    cosines = sorted((math.fsum(a * b for a, b in zip(vector, e, strict=True)) for e in examples), reverse=True)
    nearest = cosines[:2]
    return round(sum(nearest) / len(nearest), 4)


def similarities(ai: AIPort, ctx: CallContext, texts: list[str], examples: list[str]) -> list[float | None]:
    """Each text's voice similarity to ``examples`` (None for all when there are no examples or no embedding)."""
    if not examples or not texts:
        return [None] * len(texts)
    try:
        answer = ai.embed([*examples, *texts], ctx)
    except LilyError:
        count("content_voice_unmeasured_total")
        return [None] * len(texts)
    vectors = [_unit(v) for v in answer.vectors]
    anchors = vectors[:len(examples)]
    return [similarity_to_examples(v, anchors) for v in vectors[len(examples):]]
