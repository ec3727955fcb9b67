"""``gpt_image_1`` → OpenAI ``gpt-image-1`` (configurable). Sends ``size`` (one of the three the model takes),
``quality`` (low/medium/high), ``output_format``; never ``response_format`` (GPT image models answer base64 and
refuse it: https://platform.openai.com/docs/api-reference/images/create)."""

from __future__ import annotations

from lily.images.contract import PromptContract
from lily.images.rendering.common import Personalisation, Rendered, assemble, checked_options

MODEL = "gpt_image_1"
SIZES = {"1024x1024": 1.0, "1536x1024": 1.5, "1024x1536": 1024 / 1536}
QUALITY = {"draft": "low", "standard": "medium", "premium": "high", "story": "high", "banner": "high"}
OPTIONS = {"background": {"opaque", "auto"}, "output_format": {"png", "jpeg", "webp"}, "moderation": {"auto", "low"}}
TEMPLATE = "Create a polished social media image for {platform}: {prompt}\n{described}"


def render(contract: PromptContract, p: Personalisation) -> Rendered:
    options = checked_options(contract, OPTIONS, MODEL)
    return assemble(
        MODEL, contract, p, shapes=SIZES, joiner="\n",
        params=lambda size: {"n": 1, "size": size, "quality": QUALITY[contract.quality], "output_format": "png",
                             **options},
        prompt=lambda described: TEMPLATE.format(platform=contract.platform, prompt=contract.prompt.strip(),
                                                 described=described))
