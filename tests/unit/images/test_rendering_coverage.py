"""Every product model × quality × platform renders a request its provider accepts, at the right aspect, with the
negative prompt folded in and the provider model named."""

from __future__ import annotations

import itertools

import pytest

from lily.images import policy
from lily.images.contract import PLATFORMS, PRODUCT_MODELS, QUALITIES, PromptContract
from lily.images.rendering import RENDERERS, render
from lily.images.rendering.common import Personalisation, target_aspect
from lily.images.settings import DEFAULT_MODELS

# What each provider's images endpoint accepts besides model/prompt (platform-apis.md §5.1, §5.2).
OPENAI_PARAMS = {"n", "size", "quality", "background", "output_format", "output_compression", "moderation",
                 "stream", "partial_images", "user"}
XAI_PARAMS = {"n", "response_format", "aspect_ratio", "resolution", "user", "quality"}
CASES = list(itertools.product(PRODUCT_MODELS, QUALITIES, PLATFORMS))
BRAND = Personalisation(primary_color="#0a7cff", avoid_colors=["#ff00ff"], fonts=["Inter"],
                        composition_rules=["subject on the left third"], avoid=["clutter"])


def contract(quality: str, platform: str, **extra) -> PromptContract:
    return PromptContract(prompt="A lighthouse at dawn over a calm harbor", quality=quality, platform=platform,
                          negative_prompt="text artifacts, watermark, Clutter", avoid_list=["watermark", "people"],
                          brand_keywords=["harbor", "tours"], secondary_color="#FFAA00", **extra)


def test_the_matrix_covers_every_model_quality_and_platform():
    assert set(RENDERERS) == set(PRODUCT_MODELS)
    assert len(CASES) == 3 * 5 * 4 == 60


@pytest.mark.parametrize(("model", "quality", "platform"), CASES)
def test_each_rendering_is_a_request_its_provider_accepts(model, quality, platform):
    r = render(model, contract(quality, platform), BRAND)
    target = DEFAULT_MODELS[model]
    # the provider model is named explicitly, from configuration, and never of the banned family
    assert (r.provider, r.provider_model) == (target.provider, target.model) and not policy.is_banned(r.provider_model)
    accepted = OPENAI_PARAMS if r.provider == "openai" else XAI_PARAMS
    assert set(r.params) <= accepted, set(r.params) - accepted
    if r.provider == "openai":
        assert "response_format" not in r.params and r.params["size"] in {"1024x1024", "1536x1024", "1024x1536"}
        assert r.params["quality"] == {"draft": "low", "standard": "medium"}.get(quality, "high")
    else:
        assert "size" not in r.params and r.params["response_format"] == "b64_json"
        assert r.params["resolution"] == ("2k" if model == "grok2_premium" and quality not in ("draft", "standard")
                                          else "1k")
    # the delivered aspect: story 9:16, banner wide, feed 4:5 on Instagram and square elsewhere
    assert r.aspect == {"story": (9, 16), "banner": (3, 1)}.get(quality, (4, 5) if platform == "instagram" else (1, 1))
    want = r.aspect[0] / r.aspect[1]
    # the provider's nearest shape (cropped to the exact aspect afterwards): same orientation as the target
    assert (r.requested_aspect > 1, r.requested_aspect < 1) == (want > 1, want < 1), (r.requested_aspect, want)
    # negatives: de-duplicated, folded into the prompt (no provider has a negative parameter)
    assert r.negatives == ["text artifacts", "watermark", "Clutter", "people", "the colour #ff00ff"]
    assert r.prompt.endswith("Avoid: text artifacts, watermark, Clutter, people, the colour #ff00ff.")
    assert "negative_prompt" not in r.params
    # personalisation: palette, keywords and the org's rules reach the prompt
    assert "#0a7cff" in r.prompt and "#ffaa00" in r.prompt and "harbor, tours" in r.prompt
    assert "Inter" in r.prompt and "subject on the left third" in r.prompt
    assert r.palette == ["#0a7cff", "#ffaa00"]


def test_seed_privacy_and_options_shape_the_request():
    r = render("gpt_image_1", contract("premium", "x", seed=7, privacy_mode="disallow",
                                       custom_options={"background": "opaque"}), Personalisation())
    assert "Variation: 7" in r.prompt and "identifiable people" in r.negatives and r.params["background"] == "opaque"
    from lily.core.errors import LilyError

    with pytest.raises(LilyError) as exc:
        render("grok2_basic", contract("draft", "x", custom_options={"background": "opaque"}), Personalisation())
    assert exc.value.code.value == "VALIDATION_001" and exc.value.details["option"] == "background"


def test_target_aspects():
    assert target_aspect("story", "x") == (9, 16) and target_aspect("banner", "instagram") == (3, 1)
    assert target_aspect("standard", "instagram") == (4, 5) and target_aspect("draft", "linkedin") == (1, 1)
