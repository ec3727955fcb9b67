"""What the two xAI-served product ids share: ``aspect_ratio`` and ``resolution`` (never ``size``, which xAI
refuses), ``response_format=b64_json`` so the bytes come in the answer (https://docs.x.ai/docs/guides/image-generations)."""

from __future__ import annotations

from lily.images.contract import PromptContract
from lily.images.rendering.common import Personalisation, Rendered, assemble, checked_options

ASPECTS = {"1:1": 1.0, "3:4": 0.75, "4:3": 4 / 3, "9:16": 9 / 16, "16:9": 16 / 9, "2:3": 2 / 3, "3:2": 1.5,
           "1:2": 0.5, "2:1": 2.0}


def render_xai(model: str, template: str, resolution: str, contract: PromptContract, p: Personalisation) -> Rendered:
    checked_options(contract, {}, model)  # xAI takes no extra option: any is a 422
    return assemble(
        model, contract, p, shapes=ASPECTS, joiner=". ",
        params=lambda aspect: {"n": 1, "aspect_ratio": aspect, "resolution": resolution, "response_format": "b64_json"},
        prompt=lambda described: template.format(prompt=contract.prompt.strip(), described=described))
