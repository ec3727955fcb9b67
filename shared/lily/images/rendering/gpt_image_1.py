"""``gpt_image_1`` → OpenAI ``gpt-image-1`` (configurable). Sends ``size`` (one of the three the model takes),
``quality`` (low/medium/high), ``output_format``; never ``response_format`` (GPT image models answer base64 and
refuse it, platform-apis.md §5.1)."""

from __future__ import annotations

from lily.images.contract import PromptContract
from lily.images.rendering.common import (
    MIN_PIXELS,
    Personalisation,
    Rendered,
    checked_options,
    closest,
    fold_negatives,
    lines,
    negatives,
    palette_of,
    target_aspect,
)
from lily.images.settings import images_settings

MODEL = "gpt_image_1"
SIZES = {"1024x1024": 1.0, "1536x1024": 1.5, "1024x1536": 1024 / 1536}
QUALITY = {"draft": "low", "standard": "medium", "premium": "high", "story": "high", "banner": "high"}
OPTIONS = {"background": {"opaque", "auto"}, "output_format": {"png", "jpeg", "webp"}, "moderation": {"auto", "low"}}
TEMPLATE = "Create a polished social media image for {platform}: {prompt}"


def render(contract: PromptContract, p: Personalisation) -> Rendered:
    target = images_settings().models[MODEL]
    w, h = target_aspect(contract.quality, contract.platform)
    size = closest(SIZES, w / h)
    described = "\n".join(f"{k}: {v}" for k, v in lines(contract, p))
    prompt = TEMPLATE.format(platform=contract.platform, prompt=contract.prompt.strip())
    avoid = negatives(contract, p)
    params = {"n": 1, "size": size, "quality": QUALITY[contract.quality], "output_format": "png",
              **checked_options(contract, OPTIONS, MODEL)}
    return Rendered(model=MODEL, provider=target.provider, provider_model=target.model,
                    prompt=fold_negatives(f"{prompt}\n{described}".strip(), avoid), params=params,
                    aspect=(w, h), requested_aspect=SIZES[size], min_pixels=MIN_PIXELS[contract.quality],
                    palette=palette_of(contract, p), negatives=avoid)
