"""Alt text for every delivered image: a vision-capable model describes the image (when configured), else it is
written from the prompt and the post it goes with. At most 300 characters, no "image of" preamble."""

from __future__ import annotations

import re

from lily.ai.ports import AIPort, CallContext, TextRequest, data_url
from lily.core.errors import LilyError
from lily.images.contract import PromptContract

LIMIT = 300
SCHEMA = {"type": "object", "additionalProperties": False, "required": ["alt_text"],
          "properties": {"alt_text": {"type": "string", "description": "One or two sentences, at most 300 chars"}}}
INSTRUCTIONS = ("Write alt text for this image for screen-reader users: what it shows, including any text in it, "
                "in one or two plain sentences (at most 300 characters). Do not start with 'Image of'.")


def tidy(text: str) -> str:
    text = re.sub(r"^(an? )?(image|picture|photo) (of|showing)\s+", "", " ".join(text.split()), flags=re.IGNORECASE)
    text = text[:1].upper() + text[1:]
    return text if len(text) <= LIMIT else text[: LIMIT - 1].rsplit(" ", 1)[0] + "…"


def from_prompt(contract: PromptContract) -> str:
    style = f"{contract.visual_style} " if contract.visual_style else ""
    return tidy(f"{style}Illustration: {contract.prompt.strip().rstrip('.')}.")


def with_vision(ai: AIPort, data: bytes, content_type: str, contract: PromptContract, ctx: CallContext) -> str:
    """The vision model's description; written from the prompt when the vision provider is unavailable."""
    prompt = f"Prompt: {contract.prompt}\nPost: {(contract.content_context or '')[:400]}"
    try:
        result = ai.generate(TextRequest(instructions=INSTRUCTIONS, prompt=prompt, json_schema=SCHEMA,
                                         schema_name="alt_text", max_output_tokens=200, temperature=0,
                                         image_urls=[data_url(data, content_type)]), ctx)
    except LilyError:
        return from_prompt(contract)
    text = str((result.data or {}).get("alt_text") or "").strip()
    return tidy(text) if text else from_prompt(contract)
