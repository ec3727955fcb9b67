"""The image quality floors, held to their calibration set (tests/support/image_calibration.py, docs/images.md
"Quality floors"): real photos, flat illustrations and text cards pass; blank, noise, tiny, heavily blurred and
wrong-aspect images are refused by a floor, whatever their total (so a generous vision judge cannot let them
through). A floor moved past the lowest good image or the highest bad one it must refuse fails here."""

from __future__ import annotations

import pytest

from lily.images.settings import DEFAULT_FLOORS, ImagesSettings
from tests.support.image_calibration import cases, score

SETTINGS = ImagesSettings()
CASES = cases()
GOOD = [c for c in CASES if c.kind != "bad"]
BAD = [c for c in CASES if c.kind == "bad"]


def test_the_set_is_varied():
    kinds = {c.kind for c in GOOD}
    assert kinds == {"photo", "illustration", "text card"} and len([c for c in GOOD if c.kind == "photo"]) >= 8
    assert {c.refused_by for c in BAD} == set(DEFAULT_FLOORS) == set(SETTINGS.floors)


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.name)
def test_every_good_image_is_accepted(case):
    verdict = score(case, SETTINGS)
    assert verdict["accepted"], (verdict["under"], verdict["heuristic"], verdict["scores"])


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.name)
def test_every_bad_image_is_refused_by_its_floor(case):
    verdict = score(case, SETTINGS)
    assert case.refused_by in verdict["under"], verdict["scores"]


def test_each_floor_has_room_on_both_sides():
    # every floor lies strictly between the highest bad image it must refuse and the lowest good image
    for name, floor in SETTINGS.floors.items():
        lowest_good = min(score(c, SETTINGS)["scores"][name] for c in GOOD)
        highest_bad = max(score(c, SETTINGS)["scores"][name] for c in BAD if c.refused_by == name)
        assert highest_bad < floor <= lowest_good, (name, highest_bad, floor, lowest_good)


def test_noise_needs_the_structure_floor():
    # without it static passes: full sharpness, exposure and resolution, a heuristic near 0.9
    without = SETTINGS.model_copy(update={"floors": {k: v for k, v in SETTINGS.floors.items() if k != "structure"}})
    noise = [c for c in BAD if c.refused_by == "structure"]
    assert noise and all(score(c, without)["accepted"] for c in noise)
