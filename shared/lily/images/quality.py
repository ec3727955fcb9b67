"""Scores measured from the image itself (Pillow + numpy), each 0..1:

- ``resolution``: delivered pixels against the quality's minimum, times how close the provider's aspect came to
  the one requested (a wrong-size answer scores low on both);
- ``sharpness``: variance of the Laplacian of the grey image (a blurred image has almost none), against
  ``sharpness_reference``;
- ``exposure``: mean luminance near mid-grey, less the share of clipped pixels;
- ``contrast``: standard deviation of luminance (64 of 255 scores 1.0);
- ``palette``: distance of the requested colours to the image's dominant colours (absent without a palette);
- ``legibility``: WCAG contrast ratio of overlaid text to its background (text cards only; 4.5:1 scores 1.0);
- ``structure``: correlation of each grey pixel with its right and lower neighbours (mean of the two, 0 for a
  flat image). Photos, illustrations and text cards score 0.84-1.0; noise (static, a broken decoder) about 0.16,
  while its sharpness, exposure and resolution score full marks. Not weighted: it is a floor only.

:func:`heuristic` combines them with the configured weights (absent scores drop out and the rest renormalise);
:func:`under_floors` names the scores under their floors (an image under any floor fails whatever its total). The
floors are calibrated on real images: docs/images.md, "Quality floors".
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

MAX_SIDE = 768  # scores are computed on a copy no larger than this (stable and fast)


def load(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _grey(image: Image.Image) -> np.ndarray:
    small = image.copy()
    small.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.asarray(small.convert("L"), dtype=np.float32)


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of a grey image (the sandbox's vision model measures with it too)."""
    g = grey
    lap = (g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]) - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def structure_score(grey: np.ndarray) -> float:
    """Mean correlation of each pixel with its right and its lower neighbour, clipped to 0..1 (flat: 0)."""
    g = grey.astype(np.float64)
    if g.size < 4 or g.std() < 0.5:  # flat (less than half a grey level of variation): no structure at all
        return 0.0
    values = []
    for a, b in ((g[:, :-1], g[:, 1:]), (g[:-1, :], g[1:, :])):
        a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
        norm = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
        values.append(float((a * b).sum()) / norm if norm > 0 else 0.0)
    return round(min(1.0, max(0.0, sum(values) / 2)), 4)


def resolution_score(size: tuple[int, int], min_pixels: int, raw_size: tuple[int, int],
                     requested_aspect: float) -> float:
    pixels = min(1.0, (size[0] * size[1]) / min_pixels)
    aspect = raw_size[0] / raw_size[1]
    closeness = math.exp(-abs(math.log(aspect / requested_aspect)) * 3)
    return round(pixels * closeness, 4)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def palette_score(image: Image.Image, palette: list[str]) -> float | None:
    if not palette:
        return None
    small = image.copy()
    small.thumbnail((128, 128))
    quantised = small.quantize(colors=8)
    pal = quantised.getpalette() or []
    counts = sorted(quantised.getcolors() or [], reverse=True)
    dominant = [tuple(pal[i * 3:i * 3 + 3]) for n, i in counts if n >= 0.03 * small.width * small.height]
    if not dominant:
        return 0.0
    worst = math.sqrt(3 * 255 ** 2)
    distances = [min(math.dist(hex_rgb(c), d) for d in dominant) / worst for c in palette]
    return round(max(0.0, 1 - 2.5 * sum(distances) / len(distances)), 4)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def legibility_score(text: tuple[int, int, int], background: tuple[int, int, int]) -> float:
    return round(min(1.0, max(0.0, (contrast_ratio(text, background) - 1) / 3.5)), 4)


def measure(image: Image.Image, *, raw_size: tuple[int, int], requested_aspect: float, min_pixels: int,
            palette: list[str], sharpness_reference: float) -> dict[str, float]:
    grey = _grey(image)
    mean, std = float(grey.mean()), float(grey.std())
    clipped = float(((grey < 4) | (grey > 251)).mean())
    scores = {
        "resolution": resolution_score(image.size, min_pixels, raw_size, requested_aspect),
        "sharpness": round(min(1.0, laplacian_variance(grey) / sharpness_reference), 4),
        "exposure": round(max(0.0, 1 - abs(mean - 128) / 128 - clipped), 4),
        "contrast": round(min(1.0, std / 64), 4),
        "structure": structure_score(grey),
    }
    palette_value = palette_score(image, palette)
    if palette_value is not None:
        scores["palette"] = palette_value
    return scores


def heuristic(scores: dict[str, float], weights: dict[str, float]) -> float:
    used = {k: w for k, w in weights.items() if k in scores and w > 0}
    total = sum(used.values())
    return round(sum(scores[k] * w for k, w in used.items()) / total, 4) if total else 0.0


def under_floors(scores: dict[str, float], floors: dict[str, float]) -> list[str]:
    """The scores under their floor, sorted (a score not measured is not under)."""
    return sorted(k for k, floor in floors.items() if scores.get(k, 1.0) < floor)


def crop_to(image: Image.Image, aspect: tuple[int, int]) -> Image.Image:
    """Centre crop to ``aspect`` (post-processing: the provider's nearest size to the platform's exact one)."""
    w, h = image.size
    want = aspect[0] / aspect[1]
    if abs(w / h - want) < 0.01:
        return image
    if w / h > want:
        nw = round(h * want)
        left = (w - nw) // 2
        return image.crop((left, 0, left + nw, h))
    nh = round(w / want)
    top = (h - nh) // 2
    return image.crop((0, top, w, top + nh))


def encode(image: Image.Image, content_type: str) -> bytes:
    out = io.BytesIO()
    if content_type == "image/jpeg":
        image.save(out, "JPEG", quality=90)
    else:
        image.save(out, "PNG", compress_level=3)
    return out.getvalue()
