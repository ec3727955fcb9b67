"""Semantic alignment and aesthetics: a vision-capable model, through the AI port, rates an image against its
prompt, its avoid list (does the image show what must not be there?) and an aesthetic rubric, as structured
output with reasons (the audit's CLIP/LAION requirement).

When the job wants alt text written by the vision model, the same call describes the image (``alt_text`` in
the answer), so a delivered image costs one vision call, not a review and then a description.

A judge is one pluggable step (:class:`Judge`): the loop combines every configured judge with the image-measured
heuristic score, ``(1 - vision_weight) × heuristic + vision_weight × judge`` (:func:`combine`). An embedding
model (CLIP-like) would be another ``Judge`` where its weights can be shipped.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from lily.ai.ports import AIPort, CallContext, TextRequest, data_url
from lily.core.schema import Schema
from lily.images.contract import PromptContract
from lily.images.rendering.common import Rendered

SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["alignment", "aesthetic", "shows_avoided", "reasons"],
    "properties": {
        "alignment": {"type": "number", "description": "0..1: how well the image shows the prompt"},
        "aesthetic": {"type": "number", "description": "0..1: composition, light, focus, finish"},
        "shows_avoided": {"type": "array", "items": {"type": "string"},
                          "description": "Entries of the avoid list the image shows"},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}
INSTRUCTIONS = ("You are an art director reviewing a generated image for a brand's social media post. Rate how "
                "well it shows the prompt (alignment, 0 to 1) and how good it looks (aesthetic, 0 to 1: "
                "composition, lighting, focus, finish). List each entry of the avoid list the image shows. Give "
                "short reasons.")
DESCRIBE = {"type": "string", "description": "Alt text for screen-reader users: what the image shows, including any "
                                               "text in it, in one or two plain sentences (at most 300 characters)"}
AVOID_PENALTY = 0.3  # a judge score is multiplied by this when the image shows something it must not


class Judgement(Schema):
    name: str
    score: float = Field(ge=0, le=1)
    parts: dict[str, float] = Field(default_factory=dict)
    shows_avoided: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    alt_text: str | None = None  # the image described, when the judge was asked to


class Judge(Protocol):
    name: str

    def judge(self, data: bytes, content_type: str, contract: PromptContract, rendered: Rendered,
              ctx: CallContext) -> Judgement: ...


def _unit(value: object) -> float:
    try:
        return min(1.0, max(0.0, float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


class VisionJudge:
    name = "vision"

    def __init__(self, ai: AIPort, describe: bool = False) -> None:
        self.ai, self.describe = ai, describe
        self.schema = SCHEMA if not describe else {
            **SCHEMA, "required": [*SCHEMA["required"], "alt_text"],
            "properties": {**SCHEMA["properties"], "alt_text": DESCRIBE}}

    def judge(self, data: bytes, content_type: str, contract: PromptContract, rendered: Rendered,
              ctx: CallContext) -> Judgement:
        prompt = (f"Prompt: {contract.prompt}\nAvoid: {', '.join(rendered.negatives) or 'nothing'}\n"
                  f"Platform: {contract.platform}\nAnswer with JSON.")
        instructions = INSTRUCTIONS + (" Also write its alt text (no 'Image of')." if self.describe else "")
        result = self.ai.generate(TextRequest(instructions=instructions, prompt=prompt, json_schema=self.schema,
                                              schema_name="image_review", max_output_tokens=500, temperature=0,
                                              image_urls=[data_url(data, content_type)]), ctx)
        answer = result.data or {}
        alignment, aesthetic = _unit(answer.get("alignment")), _unit(answer.get("aesthetic"))
        shown = [str(s) for s in answer.get("shows_avoided") or []][:10]
        score = 0.6 * alignment + 0.4 * aesthetic
        if shown:
            score *= AVOID_PENALTY
        return Judgement(name=self.name, score=round(score, 4), parts={"alignment": alignment,
                                                                        "aesthetic": aesthetic},
                         shows_avoided=shown, reasons=[str(r)[:200] for r in answer.get("reasons") or []][:5],
                         alt_text=str(answer.get("alt_text") or "").strip() or None)


def combine(heuristic: float, judgements: list[Judgement], vision_weight: float) -> float:
    if not judgements:
        return round(heuristic, 4)
    judged = sum(j.score for j in judgements) / len(judgements)
    return round((1 - vision_weight) * heuristic + vision_weight * judged, 4)
