"""Rendering of a prompt contract for each product model, one module per model (the prompt template, the size or
aspect for the quality and platform, the negative prompt folded in: no provider here has a negative parameter).

:data:`RENDERERS` is the one table from product id to renderer; the coverage test renders every model × quality ×
platform through it.
"""

from __future__ import annotations

from collections.abc import Callable

from lily.images.contract import PromptContract
from lily.images.rendering import gpt_image_1, grok2_basic, grok2_premium
from lily.images.rendering.common import Personalisation, Rendered

Renderer = Callable[[PromptContract, Personalisation], Rendered]

RENDERERS: dict[str, Renderer] = {
    "grok2_basic": grok2_basic.render,
    "grok2_premium": grok2_premium.render,
    "gpt_image_1": gpt_image_1.render,
}


def render(model: str, contract: PromptContract, personalisation: Personalisation) -> Rendered:
    """The provider request for ``contract`` on the resolved product ``model``."""
    return RENDERERS[model](contract, personalisation)
