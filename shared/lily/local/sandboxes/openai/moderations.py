"""``POST /v1/moderations``: text judged by the switch ``moderation_terms`` (whole words), images the sandbox
drew by what is in them (``image_moderation_terms``, image-capable categories only)."""

from __future__ import annotations

import re
import time
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lily.local.sandboxes.openai.image_params import image_verdicts
from lily.local.sandboxes.openai.state import IMAGE_CAPABLE, AIState
from lily.local.sandboxes.openai.wire import answer, error, first_error, missing, read, unknown

MODERATION_PARAMS = {"model", "input"}
MODERATION_CATEGORIES = [
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent", "self-harm",
    "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence", "violence/graphic",
]


def router(state: AIState) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/moderations")
    async def moderations(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(state, request)
        if problem:
            return problem
        problem = first_error(unknown(MODERATION_PARAMS, body), missing(body, "input"))
        if problem:
            return problem
        raw = body["input"]
        if isinstance(raw, str):
            groups = [[("text", raw)]]
        elif isinstance(raw, list) and all(isinstance(i, str) for i in raw):
            groups = [[("text", i)] for i in raw]
        elif isinstance(raw, list) and all(isinstance(i, dict) for i in raw):
            groups = [[("image" if i.get("type") == "image_url" else "text", str(i.get("text", ""))) for i in raw]]
        else:
            return error(400, "Invalid type for 'input'.", param="input", code="invalid_type")
        images, problem = image_verdicts(state.gallery, raw, state.config["image_moderation_terms"])
        if problem:
            return error(400, problem, param="input", code="invalid_value")
        terms: dict[str, list[str]] = state.config["moderation_terms"]
        results = []
        for group in groups:
            text = " ".join(t for k, t in group if k == "text").lower()
            kinds = sorted({k for k, _ in group})
            hits = {cat for cat, words in terms.items()
                    if any(re.search(rf"(?<!\w){re.escape(w.lower())}(?!\w)", text) for w in words)} | images
            results.append({
                "flagged": bool(hits),
                "categories": {c: c in hits for c in MODERATION_CATEGORIES},
                "category_scores": {c: (0.93 if c in hits else 0.0004) for c in MODERATION_CATEGORIES},
                "category_applied_input_types": {
                    c: [k for k in kinds if k == "text" or c in IMAGE_CAPABLE] for c in MODERATION_CATEGORIES},
            })
        return answer({"id": f"modr-{uuid.uuid4().hex[:24]}", "model": body.get("model") or "omni-moderation-latest",
                       "results": results}, started)

    return api
