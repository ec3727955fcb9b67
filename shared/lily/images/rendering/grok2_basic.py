"""``grok2_basic`` → xAI ``grok-imagine-image`` (configurable) at ``1k``: a short, literal prompt."""

from __future__ import annotations

from lily.images.contract import PromptContract
from lily.images.rendering._xai import render_xai
from lily.images.rendering.common import Personalisation, Rendered

MODEL = "grok2_basic"
TEMPLATE = "{prompt}\n{described}"


def render(contract: PromptContract, p: Personalisation) -> Rendered:
    return render_xai(MODEL, TEMPLATE, "1k", contract, p)
