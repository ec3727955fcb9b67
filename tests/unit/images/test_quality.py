"""The image-measured scores: sharp vs blurred, right vs wrong size, palette distance, exposure, legibility."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from lily.images import quality
from lily.images.card import render_card

REF = 60.0


def picture(size=(800, 1000), colours=((255, 102, 0), (0, 51, 102))) -> Image.Image:
    w, h = size
    t = np.linspace(0, 1, h)[:, None, None]
    pixels = np.array(colours[0]) * (1 - t) + np.array(colours[1]) * t
    image = Image.fromarray(np.repeat(pixels, w, axis=1).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for i in range(0, w, 40):
        draw.line((i, 0, i, h), fill=(240, 240, 240), width=2)
    return image


def measure(image, palette=(), raw=None, aspect=0.8):
    return quality.measure(image, raw_size=raw or image.size, requested_aspect=aspect, min_pixels=720 * 720,
                           palette=list(palette), sharpness_reference=REF)


def test_blur_kills_the_sharpness_score_but_not_the_others():
    sharp = measure(picture())
    blurred = measure(picture().filter(ImageFilter.GaussianBlur(8)))
    assert sharp["sharpness"] == 1.0 and blurred["sharpness"] < 0.1
    assert abs(sharp["exposure"] - blurred["exposure"]) < 0.1


def test_resolution_scores_pixels_and_aspect():
    assert measure(picture())["resolution"] == 1.0
    small = picture((300, 300))
    assert measure(small, raw=(300, 300))["resolution"] < 0.1  # few pixels and square where 4:5 was asked
    assert measure(picture((800, 800)), raw=(800, 800), aspect=1.0)["resolution"] == 1.0


def test_palette_distance_and_exposure():
    img = picture()
    assert measure(img, palette=["#ff6600", "#003366"])["palette"] > 0.8
    assert measure(img, palette=["#00ff00"])["palette"] < 0.4
    dark = measure(Image.new("RGB", (800, 1000), (2, 2, 2)))
    assert dark["exposure"] == 0.0 and dark["contrast"] == 0.0


def test_crop_to_the_platform_aspect():
    assert quality.crop_to(Image.new("RGB", (1024, 1536)), (4, 5)).size == (1024, 1280)
    assert quality.crop_to(Image.new("RGB", (1536, 1024)), (3, 1)).size == (1536, 512)
    assert quality.crop_to(Image.new("RGB", (1024, 1024)), (1, 1)).size == (1024, 1024)


def test_the_card_is_legible_in_the_brand_colour():
    image, fg, bg = render_card("Tours start in May. Book now", (9, 16), ["#1f3a5f", "#ffaa00"])
    assert image.size == (608, 1080) and bg == (0x1f, 0x3a, 0x5f) and fg == (255, 255, 255)
    assert quality.legibility_score(fg, bg) == 1.0 and quality.legibility_score((120, 120, 120), (128, 128, 128)) < 0.1
    assert quality.heuristic({"a": 1.0, "b": 0.0}, {"a": 3, "b": 1, "c": 5}) == 0.75
