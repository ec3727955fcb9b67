"""Images configuration (environment ``LILY_IMAGES_*``): which provider model serves each product id, the quality
thresholds and score weights, and the job queue.

The provider model behind each product id is configuration, never code (PRODUCT.md): xAI retired its grok-2 image
model, and ``grok-imagine-image`` / ``grok-imagine-image-quality`` serve the grok2 product ids today
(https://docs.x.ai/docs/models). A banned model in this map fails the settings at cold start.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator

from lily.core.config import BaseSettings, load, on_reset, settings_config
from lily.core.schema import Schema
from lily.images import policy


class ProviderModel(Schema):
    provider: Literal["openai", "xai"]
    model: str = Field(min_length=1, description="The provider's model id, always sent explicitly")


DEFAULT_MODELS = {
    "grok2_basic": ProviderModel(provider="xai", model="grok-imagine-image"),
    "grok2_premium": ProviderModel(provider="xai", model="grok-imagine-image-quality"),
    "gpt_image_1": ProviderModel(provider="openai", model="gpt-image-1"),
}

# Lowest combined score an image must reach, per quality level; a plan adds its offset (stricter on richer plans).
DEFAULT_THRESHOLDS = {"draft": 0.45, "standard": 0.55, "premium": 0.65, "story": 0.6, "banner": 0.6}
DEFAULT_PLAN_OFFSETS = {"free": 0.0, "starter": 0.0, "pro": 0.02, "enterprise": 0.04}
# Scores under these fail an image whatever its total, calibrated on real images (docs/images.md, "Quality
# floors"; tests/integration/images/test_quality_floors.py fails when a change would accept a bad image of the set
# or refuse a good one): each sits between the lowest good image and the highest bad image it alone refuses.
DEFAULT_FLOORS = {"resolution": 0.5, "sharpness": 0.25, "structure": 0.5}
# Weights of the image-measured scores (lily.images.quality) in the heuristic part.
DEFAULT_HEURISTIC_WEIGHTS = {"resolution": 0.3, "sharpness": 0.25, "exposure": 0.15, "contrast": 0.15,
                             "palette": 0.15, "legibility": 0.15}


class ImagesSettings(BaseSettings):
    model_config = settings_config("LILY_IMAGES_")

    models: dict[str, ProviderModel] = Field(default_factory=lambda: dict(DEFAULT_MODELS),
                                             description="Product id -> provider and provider model, JSON")
    queue: str = Field("image_jobs", description="Queue the generation jobs go to")
    thresholds: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    plan_offsets: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_PLAN_OFFSETS))
    heuristic_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_HEURISTIC_WEIGHTS))
    floors: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_FLOORS),
                                     description="Scores under these fail an image whatever its total")
    vision_weight: float = Field(0.4, ge=0, le=1, description="Share of the vision judge in the combined score")
    vision_judge: bool = Field(True, description="Rate each image with the vision model (semantic + aesthetic)")
    vision_alt_text: bool = Field(True, description="Write alt text with the vision model (else from the prompt)")
    sharpness_reference: float = Field(60.0, gt=0, description="Laplacian variance that scores 1.0")
    job_lease_s: int = Field(600, ge=30, description="A running job untouched this long may be taken over")
    storage_room_bytes: int = Field(8 * 1024 * 1024, ge=1, description=(
        "Media storage an org must have free before an image is generated (checked at acceptance and again before "
        "the first provider call): the largest image a job delivers (a 1536x1024 PNG is 2 to 4 MB)"))

    @field_validator("models")
    @classmethod
    def _no_banned(cls, v: dict[str, ProviderModel]) -> dict[str, ProviderModel]:
        for product, target in v.items():
            policy.refuse_banned(target.model, where=f"LILY_IMAGES_MODELS.{product}")
        return v

    def threshold(self, quality: str, plan_id: str) -> float:
        return round(self.thresholds.get(quality, 0.55) + self.plan_offsets.get(plan_id, 0.0), 3)


@lru_cache(maxsize=1)
def images_settings() -> ImagesSettings:
    return load(ImagesSettings)


on_reset(images_settings.cache_clear)
