"""The OpenAI sandbox's painter and eye: real images drawn with Pillow from the prompt, and the judgements
(moderation, vision scoring, alt text) made about them.

:func:`draw` paints a composition in the prompt's palette (the ``#rrggbb`` colours it names, else colours from
the seed): a gradient, seeded shapes, a fine texture, and the prompt's key words set as text, at the requested
size. Every image drawn is remembered (by digest) with the prompt and the words on it, so image moderation and
vision calls about it answer from what is really in it; the vision answers also measure the pixels (a blurred
image looks bad to the judge too). Degradations (``blur``, ``wrong_size``) come from the sandbox switch
``image_degrade`` and are what the quality loop's tests inject.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from lily.images.quality import laplacian_variance

HEX = re.compile(r"#[0-9a-fA-F]{6}\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
STOP = {"the", "and", "for", "with", "that", "this", "from", "your", "our", "about", "into", "image", "photo",
        "create", "polished", "social", "media", "high-detail", "professionally", "lit", "picture", "showing",
        "instagram", "facebook", "linkedin", "twitter", "over", "under", "some", "very", "its", "their"}


@dataclass
class Drawn:
    prompt: str
    words: list[str]
    blurred: bool = False
    size: tuple[int, int] = (0, 0)


@dataclass
class Gallery:
    """What the sandbox drew (digest -> Drawn), bounded."""

    items: dict[str, Drawn] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, data: bytes, drawn: Drawn) -> None:
        with self.lock:
            self.items[hashlib.sha256(data).hexdigest()] = drawn
            while len(self.items) > 500:
                self.items.pop(next(iter(self.items)))

    def recall(self, data: bytes) -> Drawn | None:
        with self.lock:
            return self.items.get(hashlib.sha256(data).hexdigest())


def content_words(text: str, limit: int = 6) -> list[str]:
    out: list[str] = []
    for w in WORD.findall(text):
        w = w.lower()
        if w not in STOP and w not in out:
            out.append(w)
    return out[:limit]


def labelled(prompt: str, label: str) -> str:
    m = re.search(rf"(?im)^\s*{label}:\s*(.+?)\.?\s*$", prompt)
    return m.group(1) if m else ""


def subject_of(prompt: str) -> str:
    first = prompt.strip().splitlines()[0] if prompt.strip() else ""
    return first.split(":", 1)[1] if ":" in first and not first.lower().startswith(("style", "mood")) else first


def words_to_draw(prompt: str) -> list[str]:
    keys = [k.strip().lower() for k in labelled(prompt, "Key words").split(",") if k.strip()]
    return (content_words(subject_of(prompt), 4) + keys)[:6]


def _colours(prompt: str, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    named = [tuple(int(h[i:i + 2], 16) for i in (1, 3, 5)) for h in HEX.findall(prompt)]
    while len(named) < 3:
        named.append(tuple(int(c) for c in rng.integers(30, 225, 3)))
    return named[:3]  # type: ignore[return-value]


def draw(prompt: str, size: tuple[int, int], seed: str, fmt: str = "png") -> tuple[bytes, Drawn]:
    """A ``size`` image painted from ``prompt``; same prompt and seed, same image."""
    w, h = size
    rng = np.random.default_rng(int(hashlib.sha256(f"{seed}\x1f{prompt}".encode()).hexdigest()[:16], 16))
    top, bottom, accent = _colours(prompt, rng)
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    gradient = np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t  # (h, 1, 3)
    weave = np.where((np.add.outer(np.arange(h), np.arange(w)) % 6) < 3, 7, -7).astype(np.float32)  # fine texture
    image = Image.fromarray(np.clip(gradient + weave[:, :, None], 0, 255).astype(np.uint8), "RGB")
    painter = ImageDraw.Draw(image, "RGBA")
    for _ in range(int(rng.integers(3, 7))):
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.integers(min(w, h) // 12, min(w, h) // 4))
        shape = painter.ellipse if rng.random() < 0.6 else painter.rectangle
        shape((cx - r, cy - r, cx + r, cy + r), fill=(*accent, 150), outline=(*bottom, 255), width=3)
    words = words_to_draw(prompt)
    if words:
        text = " ".join(words).upper()
        font_size = max(12, min(min(w, h) // 14, int(w * 0.9 / (0.62 * len(text)))))
        font = ImageFont.load_default(size=font_size)
        box_h = int(font_size * 1.8)
        y = int(h * 0.72)
        painter.rectangle((0, y, w, y + box_h), fill=(0, 0, 0, 150))
        width = painter.textlength(text, font=font)
        painter.text((max(8, (w - width) / 2), y + font_size * 0.35), text, fill=(255, 255, 255, 255), font=font)
    return encode(image, fmt), Drawn(prompt=prompt, words=words, size=size)


def degrade(data: bytes, drawn: Drawn, kind: str, fmt: str) -> tuple[bytes, Drawn]:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if kind == "blur":
        image = image.filter(ImageFilter.GaussianBlur(radius=max(6, min(image.size) // 90)))
        drawn = Drawn(drawn.prompt, drawn.words, blurred=True, size=image.size)
    elif kind == "wrong_size":
        side = max(64, min(image.size) // 3)
        image = image.resize((side, side))
        drawn = Drawn(drawn.prompt, drawn.words, drawn.blurred, size=image.size)
    return encode(image, fmt), drawn


def encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt in ("jpeg", "jpg"):
        image.save(out, "JPEG", quality=88)
    elif fmt == "webp":
        image.save(out, "WEBP", quality=85)
    else:
        image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def look(data: bytes) -> tuple[float, float]:
    """(sharpness 0..1, contrast 0..1) measured from the pixels."""
    image = Image.open(io.BytesIO(data)).convert("L")
    image.thumbnail((512, 512))
    g = np.asarray(image, dtype=np.float32)
    return min(1.0, laplacian_variance(g) / 60), min(1.0, float(g.std()) / 64)


def judge(data: bytes, drawn: Drawn | None, prompt: str, avoid: list[str]) -> dict[str, object]:
    """Alignment to ``prompt``, aesthetics, and which avoided things the image shows."""
    sharp, contrast = look(data)
    aesthetic = round(0.2 + 0.5 * sharp + 0.3 * contrast, 3)
    if drawn is None:
        return {"alignment": 0.6, "aesthetic": aesthetic, "shows_avoided": [],
                "reasons": ["the image was not drawn by this sandbox: alignment unknown"]}
    wanted = content_words(prompt, 8)
    seen = set(drawn.words)
    hit = [w for w in wanted if w in seen]
    alignment = round(max(0.2, len(hit) / len(wanted)) if wanted else 0.6, 3)
    shown = [a for a in avoid if any(w in seen for w in content_words(a, 4))]
    reasons = [f"shows {', '.join(hit) or 'none'} of {', '.join(wanted) or 'the prompt'}"]
    if sharp < 0.3:
        reasons.append("the image is blurred")
    if shown:
        reasons.append(f"shows what must not be there: {', '.join(shown)}")
    return {"alignment": alignment, "aesthetic": aesthetic, "shows_avoided": shown, "reasons": reasons}


def describe(drawn: Drawn | None) -> str:
    if drawn is None or not drawn.words:
        return "An abstract composition of soft shapes on a colour gradient."
    return (f"An illustration showing {', '.join(drawn.words[:4])}, with bold shapes on a colour gradient and the "
            f"words \"{' '.join(drawn.words).upper()}\" set in a band near the bottom.")
