"""``grok2_premium`` → xAI ``grok-imagine-image-quality`` (configurable): ``2k`` for premium, story and banner,
``1k`` below; a prompt that asks for finish and detail."""

from __future__ import annotations

from lily.images.contract import PromptContract
from lily.images.rendering._xai import render_xai
from lily.images.rendering.common import Personalisation, Rendered

MODEL = "grok2_premium"
TEMPLATE = "High-detail, professionally lit image: {prompt}\n{described}"
HIGH = {"premium", "story", "banner"}


def render(contract: PromptContract, p: Personalisation) -> Rendered:
    return render_xai(MODEL, TEMPLATE, "2k" if contract.quality in HIGH else "1k", contract, p)
