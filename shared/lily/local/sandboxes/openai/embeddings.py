"""``POST /v1/embeddings``: vectors from the local sentence model (:mod:`lily.local.sentence_embeddings`), at the
model's size or the ``dimensions`` asked for (text-embedding-3 only), as floats or base64."""

from __future__ import annotations

import base64
import struct
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lily.local.sandboxes.openai.state import AIState
from lily.local.sandboxes.openai.wire import answer, error, first_error, missing, not_one_of, read, tokens, unknown

EMBEDDING_PARAMS = {"model", "input", "encoding_format", "dimensions", "user"}
EMBEDDING_SIZES = {"text-embedding-3-large": 3072, "text-embedding-3-small": 1536, "text-embedding-ada-002": 1536}


def router(state: AIState) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(state, request)
        if problem:
            return problem
        problem = first_error(unknown(EMBEDDING_PARAMS, body), missing(body, "model", "input"),
                              not_one_of(body, "encoding_format", ("float", "base64")))
        if problem:
            return problem
        model, raw = body["model"], body["input"]
        inputs = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
        if inputs and all(isinstance(i, int) for i in inputs):
            inputs = [inputs]  # one token array
        if not inputs or len(inputs) > 2048 or any(i in ("", []) for i in inputs):
            return error(400, "'$.input' is invalid. Please check the API reference: "
                              "https://platform.openai.com/docs/api-reference.")
        native = EMBEDDING_SIZES.get(model, 1536)
        dims = body.get("dimensions")
        if dims is not None:
            if "text-embedding-3" not in model:
                return error(400, "This model does not support specifying dimensions.", param="dimensions")
            if not isinstance(dims, int) or dims < 1 or dims > native:
                return error(400, f"Invalid value for 'dimensions' = {dims}. Must be between 1 and {native}.",
                             param="dimensions", code="invalid_value")
        dims = dims or native
        texts = [i if isinstance(i, str) else " ".join(map(str, i)) for i in inputs]
        from lily.local.sentence_embeddings import embed  # the local sentence model (loaded on first use)

        data = []
        for index, vector in enumerate(embed(texts, dims)):
            if body.get("encoding_format") == "base64":
                vector = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        used = sum(tokens(t) for t in texts)
        return answer({"object": "list", "data": data, "model": model,
                       "usage": {"prompt_tokens": used, "total_tokens": used}}, started)

    return api
