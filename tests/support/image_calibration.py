"""The calibration set of the image quality floors (docs/images.md, "Quality floors"): real photos, flat
illustrations and text cards that must pass, and deliberately bad images that the floors must refuse.

Photos are the ones scikit-image ships as files in its wheel (``skimage/data``; a dev dependency, read with Pillow
without importing scikit-image); illustrations are drawn here with Pillow; text cards are Lily's own fallback card
(:func:`lily.images.card.render_card`); the bad ones are made from those at call time (nothing is committed). Each
image is scored as a delivered image is (:func:`lily.images.quality.measure`, quality ``draft``: the photos are
about 512 px), and judged as in a job scored on pixel heuristics alone: accepted when no score is under its floor
and the heuristic reaches the draft threshold of the free plan.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from lily.images import quality
from lily.images.card import render_card
from lily.images.rendering.common import MIN_PIXELS
from lily.images.settings import ImagesSettings

QUALITY = "draft"
PHOTOS = ["astronaut.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "camera.png", "hubble_deep_field.jpg",
          "retina.jpg", "brick.png", "moon.png", "ihc.png"]


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # photo | illustration | text card | bad
    image: Image.Image
    requested_aspect: float  # width / height the provider was asked for
    refused_by: str | None = None  # bad images: the floor that must refuse it


def photo_dir() -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("scikit-image is not installed (a dev dependency): `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def photo(name: str) -> Image.Image:
    with Image.open(photo_dir() / name) as image:
        return image.convert("RGB")


def illustration(seed: int, size: tuple[int, int]) -> Image.Image:
    """Flat shapes in flat colours on a flat background (a vector-style illustration)."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, tuple(int(c) for c in rng.integers(150, 255, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(7):
        x, y, r = int(rng.integers(0, size[0])), int(rng.integers(0, size[1])), int(rng.integers(80, 300))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    return image


def bar_chart(size: tuple[int, int]) -> Image.Image:
    """A flat infographic: bars, an axis and labels on white."""
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line((80, h - 80, w - 40, h - 80), fill=(40, 40, 40), width=4)
    for i, value in enumerate([0.35, 0.6, 0.45, 0.8, 0.7]):
        left = 120 + i * (w - 200) // 5
        draw.rectangle((left, h - 80 - int(value * (h - 200)), left + (w - 200) // 7, h - 82), fill=(31, 58, 95))
        draw.text((left, h - 60), f"Q{i + 1}", fill=(40, 40, 40), font_size=32)
    draw.text((80, 40), "Posts per week", fill=(20, 20, 20), font_size=48)
    return image


def cases() -> list[Case]:
    good = [Case(f"photo {name}", "photo", (p := photo(name)), p.width / p.height) for name in PHOTOS]
    good += [Case("illustration 1:1", "illustration", illustration(1, (1024, 1024)), 1.0),
             Case("illustration 4:3", "illustration", illustration(2, (1024, 768)), 4 / 3),
             Case("bar chart 16:9", "illustration", bar_chart((1280, 720)), 16 / 9)]
    for text, aspect, palette in (("Five ways to plan a month of posts for your bakery", (1, 1), ["#1f3a5f"]),
                                  ("Spring sale: 20% off every loaf this weekend only!", (16, 9),
                                   ["#f4d35e", "#0d3b66"]),
                                  ("We are hiring: a community manager who loves coffee", (4, 5), ["#ffffff"])):
        card = render_card(text, aspect, palette)[0]
        good.append(Case(f"text card {aspect[0]}:{aspect[1]} {palette[0]}", "text card", card, aspect[0] / aspect[1]))
    rng = np.random.default_rng(0)
    astronaut, coffee = photo("astronaut.png"), photo("coffee.png")
    bad = [
        Case("blank white", "bad", Image.new("RGB", (1024, 1024), (255, 255, 255)), 1.0, "sharpness"),
        Case("blank brand colour", "bad", Image.new("RGB", (1024, 1024), (31, 58, 95)), 1.0, "sharpness"),
        Case("noise, colour", "bad", Image.fromarray(rng.integers(0, 256, (1024, 1024, 3), dtype=np.uint8)), 1.0,
             "structure"),
        Case("noise, grey", "bad", Image.fromarray(
            np.clip(rng.normal(128, 30, (1024, 1024)), 0, 255).astype(np.uint8)).convert("RGB"), 1.0, "structure"),
        Case("tiny photo 96x96", "bad", astronaut.resize((96, 96)), 1.0, "resolution"),
        Case("tiny card 200x200", "bad", render_card("Tiny", (1, 1), [])[0].resize((200, 200)), 1.0, "resolution"),
        Case("blurred photo (astronaut, radius 6)", "bad", astronaut.filter(ImageFilter.GaussianBlur(6)), 1.0,
             "sharpness"),
        Case("blurred photo (coffee, radius 6)", "bad", coffee.filter(ImageFilter.GaussianBlur(6)), 1.5, "sharpness"),
        Case("blurred illustration (radius 12)", "bad",
             illustration(1, (1024, 1024)).filter(ImageFilter.GaussianBlur(12)), 1.0, "sharpness"),
        Case("wrong aspect: 4:1 strip for 1:1", "bad", photo("motorcycle_left.png").crop((0, 150, 740, 335)), 1.0,
             "resolution"),
        Case("wrong aspect: 1:1 card for a 9:16 story", "bad", render_card("Story", (1, 1), [])[0], 9 / 16,
             "resolution"),
    ]
    return good + bad


def score(case: Case, settings: ImagesSettings) -> dict:
    scores = quality.measure(case.image, raw_size=case.image.size, requested_aspect=case.requested_aspect,
                             min_pixels=MIN_PIXELS[QUALITY], palette=[],
                             sharpness_reference=settings.sharpness_reference)
    heuristic = quality.heuristic(scores, settings.heuristic_weights)
    under = quality.under_floors(scores, settings.floors)
    threshold = settings.threshold(QUALITY, "free")
    return {"scores": scores, "heuristic": heuristic, "under": under, "threshold": threshold,
            "accepted": not under and heuristic >= threshold}
