"""Personalisation of a contract from the org's image settings and the vault style it names."""

from __future__ import annotations

from lily.images import styles
from lily.images.contract import PromptContract
from lily.images.rendering.common import Personalisation
from lily.images.schemas import ImageSettingsIn


def personalise(org_id: str, contract: PromptContract, s: ImageSettingsIn) -> tuple[Personalisation, str | None]:
    """``(personalisation, the org's default model or None)`` from the org's image settings ``s``."""
    p = Personalisation(primary_color=s.primary_color, secondary_color=s.secondary_color, palette=s.palette,
                        fonts=s.fonts, textures=s.textures, composition_rules=s.composition_rules,
                        avoid_colors=s.avoid_colors)
    if contract.style_id:
        style = styles.style_of(org_id, contract.style_id)
        p = p.model_copy(update={
            "style_prompt": style.prompt or None, "visual_style": style.visual_style,
            "mood": style.mood, "avoid": style.avoid,
            "primary_color": style.palette[0] if style.palette else p.primary_color,
            "secondary_color": style.palette[1] if len(style.palette) > 1 else p.secondary_color,
            "palette": style.palette[2:] or p.palette})
    return p, (None if s.default_model == "auto" else s.default_model)
