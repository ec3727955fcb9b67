"""``make bench-image-floors``: the image quality floors on their calibration set (tests/support/image_calibration.py).

Prints every image's pixel scores (lily.images.quality), its heuristic and verdict under the configured floors, then
for each floor the highest score of a bad image it alone must refuse, the lowest score of a good image, and the
floor chosen between them (docs/images.md, "Quality floors"). Exit 1 when a good image is refused or a bad one
accepted.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

from lily.images.settings import images_settings  # noqa: E402
from tests.support.image_calibration import QUALITY, cases, score  # noqa: E402


def main() -> int:
    settings = images_settings()
    started = time.perf_counter()
    rows = [(c, score(c, settings)) for c in cases()]
    names = ["resolution", "sharpness", "exposure", "contrast", "structure"]
    threshold = rows[0][1]["threshold"]
    print(f"== image quality floors on {len(rows)} images (quality {QUALITY}: threshold {threshold}, floors "
          f"{settings.floors})")
    print(f"   {'image':42} {'kind':12} {'size':>10} " + " ".join(f"{n[:10]:>10}" for n in names)
          + f" {'heuristic':>9}  verdict")
    wrong = 0
    for c, v in rows:
        ok = v["accepted"] == (c.kind != "bad")
        wrong += not ok
        verdict = "accepted" if v["accepted"] else f"refused ({', '.join(v['under']) or 'below threshold'})"
        size = f"{c.image.width}x{c.image.height}"
        print(f"   {c.name:42} {c.kind:12} {size:>10} " + " ".join(f"{v['scores'][n]:10.2f}" for n in names)
              + f" {v['heuristic']:9.3f}  {verdict}{'' if ok else '  <-- WRONG'}")
    print("   floor       highest bad it refuses   lowest good   chosen")
    for name, floor in sorted(settings.floors.items()):
        bad = [v["scores"][name] for c, v in rows if c.refused_by == name]
        good = [v["scores"][name] for c, v in rows if c.kind != "bad"]
        print(f"   {name:11} {max(bad) if bad else float('nan'):22.2f} {min(good):13.2f} {floor:8.2f}")
    print(f"   {len(rows) - wrong}/{len(rows)} judged as labelled; {time.perf_counter() - started:.1f} s")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
