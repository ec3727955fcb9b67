"""What every model's rendering shares: the target aspect per quality and platform, personalisation from the
org's image settings and style, the de-duplicated negative list, and the descriptive lines of a prompt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from lily.core.errors import ErrorCode, LilyError
from lily.core.schema import Schema
from lily.images.contract import PromptContract

# (width, height) ratio of the delivered image: story 9:16, banner wide 3:1, feed square or 4:5 (Instagram).
FEED_ASPECT = {"instagram": (4, 5), "facebook": (1, 1), "linkedin": (1, 1), "x": (1, 1)}
QUALITY_ASPECT = {"story": (9, 16), "banner": (3, 1)}
# Smallest delivered image (pixels) per quality: the resolution score is 1.0 at or above it.
MIN_PIXELS = {"draft": 512 * 512, "standard": 720 * 720, "premium": 1000 * 1000, "story": 720 * 1280 // 2,
              "banner": 1000 * 333}


def target_aspect(quality: str, platform: str) -> tuple[int, int]:
    return QUALITY_ASPECT.get(quality) or FEED_ASPECT[platform]


class Personalisation(Schema):
    """The org's image settings and the chosen vault style, as rendering uses them."""

    primary_color: str | None = None
    secondary_color: str | None = None
    palette: list[str] = Field(default_factory=list, description="Extra brand colours (#rrggbb)")
    fonts: list[str] = Field(default_factory=list)
    textures: list[str] = Field(default_factory=list)
    composition_rules: list[str] = Field(default_factory=list)
    avoid_colors: list[str] = Field(default_factory=list)
    style_prompt: str | None = None
    visual_style: str | None = None
    mood: str | None = None
    avoid: list[str] = Field(default_factory=list)


class Rendered(Schema):
    """One provider request, and what the loop measures the answer against."""

    model: str = Field(description="Product id")
    provider: str
    provider_model: str
    prompt: str
    params: dict[str, Any] = Field(description="Exactly the parameters the provider accepts (besides model/prompt)")
    aspect: tuple[int, int] = Field(description="Delivered width:height")
    requested_aspect: float = Field(description="Width/height the provider was asked for")
    min_pixels: int
    palette: list[str] = Field(default_factory=list, description="Colours the palette score measures against")
    negatives: list[str] = Field(default_factory=list)


def palette_of(contract: PromptContract, p: Personalisation) -> list[str]:
    colours = [contract.primary_color or p.primary_color, contract.secondary_color or p.secondary_color, *p.palette]
    out: list[str] = []
    for c in colours:
        if c and c.lower() not in out:
            out.append(c.lower())
    return out[:5]


def negatives(contract: PromptContract, p: Personalisation) -> list[str]:
    """negative_prompt (comma separated) + avoid_list + the style's and settings' avoid lists, de-duplicated."""
    raw = [*contract.negative_prompt.split(","), *contract.avoid_list, *p.avoid,
           *(f"the colour {c}" for c in p.avoid_colors)]
    if contract.privacy_mode == "disallow":
        raw.append("identifiable people")
    out: list[str] = []
    for item in raw:
        item = " ".join(item.split()).strip(" .")
        if item and item.lower() not in {o.lower() for o in out}:
            out.append(item)
    return out


def lines(contract: PromptContract, p: Personalisation) -> list[tuple[str, str]]:
    """The descriptive ``(label, value)`` lines every template writes (empty values left out)."""
    palette = palette_of(contract, p)
    pairs = [
        ("Style", contract.visual_style or p.visual_style or ""),
        ("Vault style", p.style_prompt or ""),
        ("Mood", contract.mood or p.mood or ""),
        ("Tone", contract.tone or ""),
        ("Industry", contract.industry_context or ""),
        ("Post", (contract.content_context or "")[:400]),
        ("Palette", ", ".join(palette)),
        ("Key words", ", ".join(contract.brand_keywords)),
        ("Fonts", ", ".join(p.fonts)),
        ("Textures", ", ".join(p.textures)),
        ("Composition", "; ".join(p.composition_rules)),
    ]
    if contract.privacy_mode == "blur":
        pairs.append(("People", "only as blurred, unidentifiable figures"))
    if contract.nsfw_filter:
        pairs.append(("Safety", "safe for work"))
    if contract.seed is not None:
        pairs.append(("Variation", str(contract.seed)))
    return [(k, v) for k, v in pairs if v]


def fold_negatives(prompt: str, items: list[str]) -> str:
    """The negative list as a sentence of the prompt (none of our providers has a negative parameter)."""
    return f"{prompt}\nAvoid: {', '.join(items)}." if items else prompt


def checked_options(contract: PromptContract, allowed: dict[str, set[Any] | type], model: str) -> dict[str, Any]:
    """``custom_options`` the provider accepts for ``model``; anything else is a 422 naming what is accepted."""
    out: dict[str, Any] = {}
    for key, value in contract.custom_options.items():
        rule = allowed.get(key)
        ok = rule is not None and (isinstance(value, rule) if isinstance(rule, type) else value in rule)
        if not ok:
            raise LilyError(ErrorCode.VALIDATION_001, f"custom option {key!r} is not accepted by {model}",
                            {"option": key, "model": model, "accepted": sorted(allowed)})
        out[key] = value
    return out


def closest(ratios: dict[str, float], want: float) -> str:
    return min(ratios, key=lambda k: abs(ratios[k] - want))


def assemble(model: str, contract: PromptContract, p: Personalisation, *, shapes: dict[str, float],
             params: Callable[[str], dict[str, Any]], prompt: Callable[[str], str], joiner: str) -> Rendered:
    """What every model's renderer does around its own choices: the shape closest to the target aspect
    (``shapes``: the provider's size or aspect labels → width/height), the request ``params`` for that shape,
    the ``prompt`` template given the descriptive lines joined by ``joiner``, the negatives folded in."""
    from lily.images.settings import images_settings

    target = images_settings().models[model]
    w, h = target_aspect(contract.quality, contract.platform)
    shape = closest(shapes, w / h)
    avoid = negatives(contract, p)
    text = prompt(joiner.join(f"{k}: {v}" for k, v in lines(contract, p)))
    return Rendered(model=model, provider=target.provider, provider_model=target.model,
                    prompt=fold_negatives(text.strip(), avoid), params=params(shape), aspect=(w, h),
                    requested_aspect=shapes[shape], min_pixels=MIN_PIXELS[contract.quality],
                    palette=palette_of(contract, p), negatives=avoid)
