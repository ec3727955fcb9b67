"""API models of the images capability."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lily.core.fields import NotABool
from lily.images.contract import HEX, MODELS, TERMS, Colour, PromptContract, Quality, Term, _words, check_hex


def _palette(values: list[str]) -> list[str]:
    """Lower case, each colour once."""
    out = []
    for v in values:
        c = check_hex(v)
        if c and c not in out:
            out.append(c)
    return out


class ImageSettingsIn(BaseModel):
    """An organization's defaults and brand rules for every image it generates."""

    model_config = ConfigDict(extra="forbid")

    default_model: str = Field("auto", description=" | ".join(MODELS),
                               json_schema_extra={"enum": list(MODELS)})
    default_quality: Quality = "standard"
    primary_color: str | None = Field(None, pattern=HEX.pattern)
    secondary_color: str | None = Field(None, pattern=HEX.pattern)
    palette: list[Colour] = Field(default_factory=list, max_length=6, description="Further brand colours, #rrggbb")
    fonts: list[Term] = Field(default_factory=list, max_length=10, description=TERMS)
    textures: list[Term] = Field(default_factory=list, max_length=10, description=TERMS)
    composition_rules: list[Term] = Field(default_factory=list, max_length=10, description=TERMS)
    avoid_colors: list[Colour] = Field(default_factory=list, max_length=6, description="#rrggbb colours never to use")

    @field_validator("default_model")
    @classmethod
    def _model(cls, v: str) -> str:
        if v not in MODELS:
            raise ValueError(f"default_model is one of {', '.join(MODELS)}")
        return v

    @field_validator("primary_color", "secondary_color")
    @classmethod
    def _hex(cls, v: str | None) -> str | None:
        return check_hex(v)

    @field_validator("palette", "avoid_colors")
    @classmethod
    def _colours(cls, v: list[str]) -> list[str]:
        return _palette(v)

    @field_validator("fonts", "textures", "composition_rules")
    @classmethod
    def _lists(cls, v: list[str]) -> list[str]:
        return _words(v)


class ImageSettingsPut(ImageSettingsIn):
    expected_version: Annotated[int, Field(ge=0), NotABool] | None = Field(None,
                                        description="Fail with 409 if the settings changed since")


class ImageSettingsOut(ImageSettingsIn):
    org_id: str
    version: int = Field(description="0: nothing saved, defaults apply")
    updated_at: datetime | None = None
    updated_by: str | None = None


class StyleIn(BaseModel):
    """A reusable style of the org's vault, named in a contract by ``style_id``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    description: str = Field("", max_length=300)
    visual_style: str | None = Field(None, max_length=200)
    mood: str | None = Field(None, max_length=100)
    prompt: str = Field("", max_length=500, description="Added to every prompt that uses the style")
    palette: list[Colour] = Field(default_factory=list, max_length=6, description="#rrggbb")
    avoid: list[Term] = Field(default_factory=list, max_length=20, description=TERMS)

    @field_validator("palette")
    @classmethod
    def _colours(cls, v: list[str]) -> list[str]:
        return _palette(v)

    @field_validator("avoid")
    @classmethod
    def _avoid(cls, v: list[str]) -> list[str]:
        return _words(v)


class StylePut(StyleIn):
    expected_version: Annotated[int, Field(ge=1), NotABool] | None = None


class StyleOut(StyleIn):
    style_id: str
    version: int
    created_at: datetime
    updated_at: datetime


class StylePage(BaseModel):
    items: list[StyleOut]
    next_cursor: str | None = None


class Progress(BaseModel):
    attempt: int = Field(description="Generation attempt n (0 before the first)")
    max_attempts: int = Field(description="1 + the contract's max_retries")
    current_score: float | None = Field(None, description="Combined score of the latest attempt, 0..1")
    threshold: float = Field(description="Score an image must reach (plan and quality)")


class AttemptOut(BaseModel):
    attempt: int
    score: float
    scores: dict[str, float]
    reasons: list[str] = Field(default_factory=list)
    latency_ms: float | None = None
    judged_by: Literal["vision", "heuristics"] | None = Field(None, description=(
        "heuristics: the vision judge was unavailable and the image was scored on its pixels alone"))


class ImageJobOut(BaseModel):
    job_id: str
    status: Literal["queued", "running", "done", "failed", "blocked"]
    stage: str
    progress: Progress
    model: str = Field(description="The product model the router chose")
    provider_model: str
    contract: PromptContract
    attempts: list[AttemptOut] = Field(default_factory=list)
    media_id: str | None = Field(None, description="The media item a post can attach (when done)")
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    alt_text: str | None = None
    fallback: str | None = Field(None, description="text_card when no generated image passed")
    reason: str | None = None
    blocked: dict | None = Field(None, description="{stage: prompt|image, categories}")
    score: float | None = None
    judged_by: Literal["vision", "heuristics"] | None = Field(None, description=(
        "How the delivered image was scored: heuristics when no vision judge was configured or it was unavailable"))
    duration_s: float | None = Field(None, description="Job accepted → image stored")
    provider_ms: float | None = Field(None, description="The provider's own time of the delivered attempt")
    created_at: datetime
    finished_at: datetime | None = None


class ImageJobPage(BaseModel):
    items: list[ImageJobOut]
    next_cursor: str | None = None
