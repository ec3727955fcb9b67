"""``POST /v1/images/generations`` per provider (parameters in :mod:`.image_params`, pictures from
:mod:`.imagery`), the drawn files at ``GET /_sandbox/images/{id}`` (xAI answers URLs), and ``GET /v1/models``."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.openai.embeddings import EMBEDDING_SIZES
from lily.local.sandboxes.openai.image_params import ImageParamError, image_answer
from lily.local.sandboxes.openai.state import AIState
from lily.local.sandboxes.openai.wire import (
    answer,
    error,
    first_error,
    missing,
    out_of_range,
    read,
    unauthorized,
    unknown,
)

GPT_IMAGE_PARAMS = {"model", "prompt", "n", "size", "quality", "background", "output_format", "output_compression",
                    "moderation", "stream", "partial_images", "user"}
XAI_IMAGE_PARAMS = {"model", "prompt", "n", "response_format", "aspect_ratio", "resolution", "user", "quality"}
RETIRED_IMAGE_MODELS = {"grok-2-image", "grok-2-image-1212", "grok-imagine-image-pro"}
MODELS = ["gpt-4.1-mini", "gpt-4o-mini", "gpt-5-mini", "grok-3-mini", "grok-2-vision-1212", "omni-moderation-latest",
          "gpt-image-1", "grok-imagine-image", "grok-imagine-image-quality", *EMBEDDING_SIZES]


def router(state: AIState) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/images/generations")
    async def images(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(state, request)
        if problem:
            return problem
        model = body.get("model")
        if not model:
            # the provider's default image model is of the banned family: Lily always sends one
            return error(400, "Missing required parameter: 'model'.", param="model", code="missing_required_parameter")
        if model in RETIRED_IMAGE_MODELS:
            return error(400, f"The model `{model}` has been fully deprecated. Please use `grok-imagine-image` "
                              "instead.", param="model", code="model_not_found")
        xai = model.startswith("grok-")
        problem = first_error(unknown(XAI_IMAGE_PARAMS if xai else GPT_IMAGE_PARAMS, body), missing(body, "prompt"),
                              out_of_range(body, "n", 1, 10), out_of_range(body, "partial_images", 0, 3))
        if problem:
            return problem
        try:
            out = image_answer(state, body, xai, str(request.base_url).rstrip("/"))
        except ImageParamError as exc:
            return error(400, exc.message, param=exc.param, code=exc.code)
        return answer(out, started)

    @api.get("/_sandbox/images/{image_id}")
    def image_file(image_id: str) -> Response:
        with state.lock:
            data = state.images.get(image_id)
        if not data:
            return error(404, "No such image")
        return Response(data, media_type="image/jpeg" if data.startswith(b"\xff\xd8") else "image/png")

    @api.get("/v1/models")
    def models(request: Request) -> Response:
        if (problem := unauthorized(state, request)) is not None:
            return problem
        return JSONResponse({"object": "list", "data": [
            {"id": n, "object": "model", "created": 0, "owned_by": "sandbox"} for n in MODELS]})

    @api.get("/_sandbox/requests")
    def requests_seen() -> list[dict]:
        with state.lock:
            return list(state.requests)

    return api
