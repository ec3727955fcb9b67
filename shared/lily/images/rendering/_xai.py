"""What the two xAI-served product ids share: ``aspect_ratio`` and ``resolution`` (never ``size``, which xAI
refuses), ``response_format=b64_json`` so the bytes come in the answer (platform-apis.md §5.2)."""

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

ASPECTS = {"1:1": 1.0, "3:4": 0.75, "4:3": 4 / 3, "9:16": 9 / 16, "16:9": 16 / 9, "2:3": 2 / 3, "3:2": 1.5,
           "1:2": 0.5, "2:1": 2.0}


def render_xai(model: str, template: str, resolution: str, contract: PromptContract, p: Personalisation) -> Rendered:
    checked_options(contract, {}, model)  # xAI takes no extra option: any is a 422
    target = images_settings().models[model]
    w, h = target_aspect(contract.quality, contract.platform)
    aspect = closest(ASPECTS, w / h)
    described = ". ".join(f"{k}: {v}" for k, v in lines(contract, p))
    prompt = template.format(prompt=contract.prompt.strip(), described=described)
    avoid = negatives(contract, p)
    return Rendered(model=model, provider=target.provider, provider_model=target.model,
                    prompt=fold_negatives(prompt.strip(), avoid),
                    params={"n": 1, "aspect_ratio": aspect, "resolution": resolution, "response_format": "b64_json"},
                    aspect=(w, h), requested_aspect=ASPECTS[aspect], min_pixels=MIN_PIXELS[contract.quality],
                    palette=palette_of(contract, p), negatives=avoid)
