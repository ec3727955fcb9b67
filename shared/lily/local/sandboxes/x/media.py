"""Media: ``POST /2/media/upload`` (one-shot multipart) and ``POST /2/media/metadata`` (alt text, images and GIFs
only, ≤ 1000 characters; the keys X's schema allows)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.x.problems import INVALID_REQUEST, problem, writer
from lily.local.sandboxes.x.state import XState

# POST /2/media/metadata: the keys of ``metadata`` (docs.x.com/x-api/media/create-media-metadata); alt text ≤ 1000
MEDIA_METADATA = frozenset(
    "allow_download_status alt_text audience_policy content_expiration domain_restrictions found_media_origin "
    "geo_restrictions management_info preview_image sensitive_media_warning shared_info sticker_info "
    "upload_source".split()
)
ALT_TEXT_MAX = 1000


def invalid(message: str) -> JSONResponse:
    return problem(400, "Invalid Request", "One or more parameters to your request was invalid.", INVALID_REQUEST,
                   errors=[{"message": message}])


def metadata_problem(body: object) -> tuple[str, dict] | JSONResponse:
    """``(media id, metadata)`` of a well-formed metadata request, else the 400 X answers."""
    metadata = body.get("metadata") if isinstance(body, dict) else None
    media_id = str(body.get("id") or "") if isinstance(body, dict) else ""
    if not re.fullmatch(r"[0-9]{1,19}", media_id) or not isinstance(metadata, dict):
        return invalid("$.id and $.metadata are required")
    unknown = sorted(set(metadata) - MEDIA_METADATA)
    if unknown:
        return invalid(f"$.metadata.{unknown[0]}: is not defined in the schema and the schema does not allow "
                       f"additional properties")
    alt = metadata.get("alt_text")
    if alt is not None and (not isinstance(alt, dict) or not isinstance(alt.get("text"), str)
                            or len(alt["text"]) > ALT_TEXT_MAX):
        return invalid(f"$.metadata.alt_text.text: a string of at most {ALT_TEXT_MAX} characters is required")
    return media_id, metadata


def router(state: XState) -> APIRouter:
    api = APIRouter()

    @api.post("/2/media/upload")
    async def upload(request: Request) -> Response:
        g, refused = writer(state, request, "media.write", "media.write scope required")
        if refused:
            return refused
        form = await request.form()
        media = form.get("media")
        size = len(await media.read()) if hasattr(media, "read") else len(str(media or ""))
        if not size or not form.get("media_category"):
            return problem(400, "Invalid Request", "media and media_category are required", INVALID_REQUEST)
        media_id = state.next_id()
        state.media[media_id] = {"id": media_id, "owner": g.user, "size": size, "type": form.get("media_type")}
        return JSONResponse(
            {"data": {"id": media_id, "media_key": f"3_{media_id}", "size": size, "expires_after_secs": 86400}}
        )

    @api.post("/2/media/metadata")
    async def media_metadata(request: Request) -> Response:
        g, refused = writer(state, request, "media.write", "media.write scope required")
        if refused:
            return refused
        try:
            body = await request.json()
        except ValueError:
            body = None
        checked = metadata_problem(body)
        if isinstance(checked, JSONResponse):
            return checked
        media_id, metadata = checked
        alt = metadata.get("alt_text")
        with state.lock:
            media = state.media.get(media_id)
            if media is None or media["owner"] != g.user:
                return problem(400, "Invalid Request", "Your media IDs are invalid.", INVALID_REQUEST)
            if alt is not None:
                if not str(media.get("type") or "").startswith("image/"):  # images and GIFs only
                    return problem(400, "Invalid Request", "Alt text is only supported for images and GIFs.",
                                   INVALID_REQUEST)
                media["alt_text"] = alt["text"]
        return JSONResponse({"data": {"id": media_id, "associated_metadata": metadata}})

    return api
