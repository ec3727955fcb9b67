"""The prompt contract (version 1): everything one image request says, validated once at the edge.

The fields are the audit's. ``model`` is a product id (``auto`` = the best the plan allows); a name of the banned
family is kept as sent so the router refuses it with the policy error rather than a schema error.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lily.core.fields import NotABool
from lily.images import policy

PRODUCT_MODELS = ("grok2_basic", "grok2_premium", "gpt_image_1")  # best last: auto picks the last the plan allows
MODELS = ("auto", *PRODUCT_MODELS)
Quality = Literal["draft", "standard", "premium", "story", "banner"]
QUALITIES: tuple[str, ...] = get_args(Quality)
Platform = Literal["instagram", "facebook", "linkedin", "x"]
PLATFORMS: tuple[str, ...] = get_args(Platform)
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


Colour = Annotated[str, Field(pattern=HEX.pattern)]
ShortText = Field(None, max_length=300)
Term = Annotated[str, Field(max_length=60)]  # a keyword, a font, a thing to avoid
TERMS = "Blank entries are dropped, runs of spaces read as one, and entries equal but for case are kept once."
OPTION_NAME = r"^[a-z][a-z0-9_]{0,39}$"


def _words(values: list[str]) -> list[str]:
    """The entries of a list of terms, spaces collapsed, blanks dropped, each once (case-insensitive)."""
    out: list[str] = []
    for v in values:
        v = " ".join(str(v).split())
        if v and v.lower() not in {o.lower() for o in out}:
            out.append(v)
    return out


def check_hex(value: str | None) -> str | None:
    if value is None:
        return None
    if not HEX.match(value):
        raise ValueError("a colour is #RRGGBB")
    return value.lower()


class PromptContract(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Annotated[int, Field(ge=1, le=1), NotABool] = Field(1, description="The contract version: 1")
    prompt: str = Field(min_length=3, max_length=4000, description="What the image shows")
    negative_prompt: str = Field("", max_length=1000, description="What it must not show")
    model: str = Field("auto", description=" | ".join(MODELS),
                       json_schema_extra={"enum": list(MODELS)})
    quality: Quality = "standard"
    platform: Platform = "instagram"
    tone: str | None = ShortText
    industry_context: str | None = ShortText
    content_context: str | None = Field(None, max_length=2000, description="The post the image goes with")
    mood: str | None = ShortText
    visual_style: str | None = ShortText
    primary_color: str | None = Field(None, description="#RRGGBB", pattern=HEX.pattern)
    secondary_color: str | None = Field(None, description="#RRGGBB", pattern=HEX.pattern)
    brand_keywords: list[Term] = Field(default_factory=list, max_length=20, description=TERMS)
    avoid_list: list[Term] = Field(default_factory=list, max_length=20, description=TERMS)
    reference_images: list[Annotated[str, Field(pattern=r"^med_[0-9a-z]{26}$")]] = Field(
        default_factory=list, max_length=4, description="Media ids of this organization (another org's are a 404)")
    seed: Annotated[int, Field(ge=0, le=2**31 - 1), NotABool] | None = None
    max_retries: Annotated[int, Field(ge=0, le=3), NotABool] = 2
    custom_options: dict[str, str | int | float | bool] = Field(
        default_factory=dict, max_length=20, json_schema_extra={"propertyNames": {"pattern": OPTION_NAME}},
        description="Options for the renderer, by lower_snake_case name")
    enable_post_processing: bool = True
    generate_alt_text: bool = True
    nsfw_filter: bool = True
    privacy_mode: Literal["allow", "blur", "disallow"] = "allow"
    max_latency_ms: Annotated[int, Field(ge=1000, le=600000), NotABool] | None = None
    compliance_tags: list[Term] = Field(default_factory=list, max_length=20, description=TERMS)
    style_id: str | None = Field(None, pattern=r"^sty_[0-9a-z]{26}$", description="A style of the org's vault")

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        if policy.is_banned(v):
            return v  # refused by the router with the policy error, never generated
        if v not in MODELS:
            raise ValueError(f"model is one of {', '.join(MODELS)}")
        return v

    @field_validator("primary_color", "secondary_color")
    @classmethod
    def _hex(cls, v: str | None) -> str | None:
        return check_hex(v)

    @field_validator("brand_keywords", "avoid_list", "compliance_tags")
    @classmethod
    def _lists(cls, v: list[str]) -> list[str]:
        return _words(v)

    @field_validator("custom_options")
    @classmethod
    def _options(cls, v: dict[str, str | int | float | bool]) -> dict[str, str | int | float | bool]:
        for key, value in v.items():
            if policy.is_banned(key) or policy.is_banned(value if isinstance(value, str) else None):
                return v  # the router refuses it with the policy error
            if not re.fullmatch(OPTION_NAME, key):
                raise ValueError("option names are lower_snake_case")
        return v
