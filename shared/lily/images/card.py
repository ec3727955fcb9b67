"""The fallback when no generated image passes: a text card in the brand palette (the post's headline on the
primary colour, text in black or white, whichever reads better), at the target aspect."""

from __future__ import annotations

import textwrap

from PIL import Image, ImageDraw, ImageFont

from lily.images.quality import contrast_ratio, hex_rgb

DEFAULT_BACKGROUND = "#1f3a5f"
LONG_SIDE = 1080


def headline_of(text: str, limit: int = 140) -> str:
    first = " ".join(text.split())
    for stop in (". ", "! ", "? ", "\n"):
        if stop in first:
            first = first.split(stop, 1)[0]
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


def text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    white, black = (255, 255, 255), (17, 17, 17)
    return white if contrast_ratio(white, background) >= contrast_ratio(black, background) else black


def render_card(text: str, aspect: tuple[int, int], palette: list[str]) -> tuple[Image.Image, tuple, tuple]:
    """``(image, text colour, background colour)`` of a card showing ``text``."""
    w, h = aspect
    size = (LONG_SIDE, round(LONG_SIDE * h / w)) if w >= h else (round(LONG_SIDE * w / h), LONG_SIDE)
    background = hex_rgb(palette[0] if palette else DEFAULT_BACKGROUND)
    accent = hex_rgb(palette[1]) if len(palette) > 1 else text_colour(background)
    fg = text_colour(background)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    font_size = max(28, min(size) // 12)
    font = ImageFont.load_default(size=font_size)
    wrapped = textwrap.wrap(headline_of(text), width=max(12, int(size[0] / (font_size * 0.55))))[:6]
    line_h = int(font_size * 1.3)
    y = (size[1] - line_h * len(wrapped)) // 2
    for line in wrapped:
        width = draw.textlength(line, font=font)
        draw.text(((size[0] - width) / 2, y), line, fill=fg, font=font)
        y += line_h
    bar = max(8, size[1] // 40)
    draw.rectangle((0, size[1] - bar, size[0], size[1]), fill=accent)
    return image, fg, background
