"""The image side of the OpenAI-compatible sandbox: ``/v1/images/generations`` per provider (sizes, formats,
xAI's aspect ratios and resolutions), image inputs of ``/v1/moderations`` and of vision chat completions.

Facts (platform-apis.md §5.1, §5.2): GPT image models take ``size`` (1024x1024, 1536x1024, 1024x1536, auto;
gpt-image-2 any WxH in multiples of 16), ``quality`` low|medium|high|auto, ``output_format`` png|jpeg|webp,
``background`` (transparent needs png or webp), answer base64 only. xAI takes ``aspect_ratio`` and ``resolution``
(1k|2k), answers a URL by default or ``b64_json``, JPEG images. What xAI does with an invalid aspect ratio or
resolution is reported (not in the facts sheet) as a silent fallback to the default: switch
``xai_invalid_values`` = ``fallback`` (default) or ``reject`` (400 invalid_value).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
import uuid
from typing import Any

from lily.local.sandboxes.openai.imagery import Gallery, content_words, degrade, describe, draw, judge, labelled

GPT_SIZES = {"1024x1024": (1024, 1024), "1536x1024": (1536, 1024), "1024x1536": (1024, 1536), "auto": (1024, 1024)}
XAI_ASPECTS = {"1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2", "9:19.5", "19.5:9", "9:20", "20:9", "1:2", "2:1",
               "auto"}
XAI_LONG_SIDE = {"1k": 1024, "2k": 2048}


class ImageParamError(Exception):
    def __init__(self, param: str, message: str, code: str = "invalid_value") -> None:
        super().__init__(message)
        self.param, self.message, self.code = param, message, code


def _choice(body: dict, name: str, allowed: list[str], default: str) -> str:
    value = body.get(name, default)
    if value not in allowed:
        quoted = ", ".join(f"'{a}'" for a in allowed)
        raise ImageParamError(name, f"Invalid value: '{value}'. Supported values are: {quoted}.")
    return value


def gpt_size(model: str, body: dict) -> tuple[int, int]:
    size = body.get("size", "auto")
    if size in GPT_SIZES:
        return GPT_SIZES[size]
    m = re.fullmatch(r"(\d{2,4})x(\d{2,4})", str(size))
    if model.startswith("gpt-image-2") and m:
        w, h = int(m.group(1)), int(m.group(2))
        if w % 16 == 0 and h % 16 == 0 and 1 / 3 <= w / h <= 3 and w * h <= 3840 * 2160:
            return w, h
    raise ImageParamError("size", f"Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', "
                                  "'1536x1024', and 'auto'.")


def xai_size(state, body: dict) -> tuple[int, int]:
    aspect, resolution = body.get("aspect_ratio", "auto"), body.get("resolution", "1k")
    strict = state.config["xai_invalid_values"] == "reject"
    if aspect not in XAI_ASPECTS:
        if strict:
            raise ImageParamError("aspect_ratio", f"Invalid aspect_ratio '{aspect}'.")
        aspect = "auto"
    if resolution not in XAI_LONG_SIDE:
        if strict:
            raise ImageParamError("resolution", f"Invalid resolution '{resolution}'. Supported values are: '1k', '2k'.")
        resolution = "1k"
    long = XAI_LONG_SIDE[resolution]
    a, b = (float(x) for x in ("1:1" if aspect == "auto" else aspect).split(":"))
    if a >= b:
        return long, max(16, round(long * b / a / 16) * 16)
    return max(16, round(long * a / b / 16) * 16), long


def _degradation(state) -> str | None:
    with state.lock:
        spec = state.config.get("image_degrade")
        if not spec or int(spec.get("times", 1)) <= 0:
            return None
        state.config["image_degrade"] = {**spec, "times": int(spec.get("times", 1)) - 1}
        return str(spec.get("kind"))


def image_answer(state, body: dict, xai: bool, base_url: str) -> dict[str, Any]:
    """The answer body (raises ImageParamError for the real 400)."""
    model = body["model"]
    if xai:
        size, fmt = xai_size(state, body), "jpeg"
        response_format = _choice(body, "response_format", ["url", "b64_json"], "url")
        if "quality" in body:
            _choice(body, "quality", ["low", "medium", "high"], "medium")
    else:
        size = gpt_size(model, body)
        _choice(body, "quality", ["low", "medium", "high", "auto"], "auto")
        _choice(body, "moderation", ["low", "auto"], "auto")
        fmt = _choice(body, "output_format", ["png", "jpeg", "webp"], "png")
        background = _choice(body, "background", ["transparent", "opaque", "auto"], "auto")
        if background == "transparent" and fmt == "jpeg":
            raise ImageParamError("background", "Transparent background requires output_format png or webp.")
        response_format = "b64_json"
    data = []
    for i in range(int(body.get("n") or 1)):
        image, drawn = draw(body["prompt"], size, f"{model}:{i}", fmt)
        kind = _degradation(state)
        if kind:
            image, drawn = degrade(image, drawn, kind, fmt)
        state.gallery.remember(image, drawn)
        if response_format == "url":
            image_id = uuid.uuid4().hex
            with state.lock:
                state.images[image_id] = image
            data.append({"url": f"{base_url}/_sandbox/images/{image_id}", "revised_prompt": body["prompt"]})
        else:
            data.append({"b64_json": base64.b64encode(image).decode(), "revised_prompt": body["prompt"]})
    n, prompt_tokens = len(data), max(1, len(body["prompt"]) // 4)
    out: dict[str, Any] = {"data": data}  # xAI's documented answer has no ``created``
    if not xai:
        out.update(created=int(time.time()), background=body.get("background", "opaque"), output_format=fmt,
                   quality=body.get("quality", "medium"), size=f"{size[0]}x{size[1]}",
                   usage={"input_tokens": prompt_tokens,
                          "input_tokens_details": {"text_tokens": prompt_tokens, "image_tokens": 0},
                          "output_tokens": 272 * n, "output_tokens_details": {"image_tokens": 272 * n,
                                                                             "text_tokens": 0},
                          "total_tokens": prompt_tokens + 272 * n})
    return out


def _image_bytes(url: str) -> bytes | None:
    m = re.fullmatch(r"data:image/(png|jpeg|webp);base64,(.+)", url, re.DOTALL)
    if not m:
        return None
    try:
        return base64.b64decode(m.group(2), validate=True)
    except (binascii.Error, ValueError):
        return None


def image_parts(content: Any) -> list[str]:
    if not isinstance(content, list):
        return []
    return [str((p.get("image_url") or {}).get("url", "")) for p in content
            if isinstance(p, dict) and p.get("type") == "image_url"]


def image_verdicts(gallery: Gallery, raw: Any, terms: dict[str, list[str]]) -> tuple[set[str], str | None]:
    """Image-capable categories the images of a moderation input show (from what was drawn on them)."""
    hits: set[str] = set()
    for url in image_parts(raw):
        if url.startswith(("http://", "https://")):
            continue  # a remote image the sandbox cannot see: nothing found
        data = _image_bytes(url)
        if data is None:
            return set(), "Invalid image URL: expected an https URL or a base64 data URL of a PNG, JPEG or WebP."
        drawn = gallery.recall(data)
        seen = " ".join([*(drawn.words if drawn else []), *(content_words(drawn.prompt, 12) if drawn else [])])
        hits |= {cat for cat, words in terms.items() if any(w.lower() in seen.split() for w in words)}
    return hits, None


def vision_facts(gallery: Gallery, contents: list[Any], user_text: str) -> dict[str, Any] | None:
    """What the sandbox's vision model sees in the request's first image: judgement fields and alt text."""
    urls = [u for c in contents for u in image_parts(c)]
    if not urls:
        return None
    data = _image_bytes(urls[0]) or b""
    drawn = gallery.recall(data) if data else None
    prompt = labelled(user_text, "Prompt") or user_text
    avoid = [a.strip() for a in labelled(user_text, "Avoid").split(",") if a.strip()]
    facts = judge(data, drawn, prompt, avoid) if data else {"alignment": 0.5, "aesthetic": 0.5,
                                                           "shows_avoided": [], "reasons": ["no image"]}
    return {**facts, "alt_text": describe(drawn)}
