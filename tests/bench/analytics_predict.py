"""Predictive analytics bench: the model's error on held-out posts beside the naive baseline, in the same run.

The model and the evaluation are the code the API runs (``lily.analytics.predict``: ``fit``, ``evaluate``; the
API's ``best-times`` and ``predict/drafts`` answers carry the same figures for the org's own history). Here the
histories are generated, seeded, for ``--orgs`` organizations of ``--days`` days each, in two scenarios:

- ``structured``: each org has its own engagement profile: a rate by local hour of day (a smooth daily curve
  with a random peak), by weekday and by template / tone, times log-normal noise (sigma 0.35): what a real
  audience looks like when timing and content matter;
- ``no-signal``: the local sandboxes' engagement (``lily.local.sandboxes.engagement``): a rate fixed per post by
  a hash, no effect of time or template. A model that "finds" structure here would be overfitting; it should do
  no better than the baseline, and not much worse.

For each org: posts sorted in time, the latest 25 % held out, the model fitted on the rest
(``predict.evaluate``). Reported, averaged over orgs:

- MAE of the engagement rate on the held-out posts: model vs baseline ("same local hour last week": the mean
  rate of the last training week's posts at that hour, else that week's mean);
- best time: the held-out posts' mean rate at the model's best hour vs at the baseline's hour (the hour of last
  week's best post), over the orgs where held-out posts exist at both hours.

A measurement, not a test: it prints and exits 0.

    make bench-analytics          # or: .venv/bin/python tests/bench/analytics_predict.py [--orgs 50] [--days 120]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "shared"))

from lily.analytics import predict  # noqa: E402
from lily.analytics.predict import Sample  # noqa: E402

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
TEMPLATES = [("professional.single_post.x", "professional"), ("casual.thread.x", "casual"),
             ("educational.long_post.x", "educational"), ("entertaining.single_post.x", "entertaining")]
POSTING_HOURS = [7, 8, 9, 12, 13, 17, 18, 19, 20, 21]


def structured(rng: random.Random, days: int) -> list[Sample]:
    base = rng.uniform(0.015, 0.05)
    peak, width = rng.choice(POSTING_HOURS), rng.uniform(2, 5)
    amp = rng.uniform(0.3, 0.9)
    hour_mult = {h: 1 + amp * math.exp(-((h - peak) ** 2) / (2 * width ** 2)) - amp / 2 for h in range(24)}
    day_mult = {d: rng.uniform(0.8, 1.2) for d in range(7)}
    tmpl_mult = {t: rng.uniform(0.7, 1.4) for t, _ in TEMPLATES}
    out = []
    for day in range(days):
        for _ in range(rng.choice((1, 1, 2, 3))):
            at = START + timedelta(days=day, hours=rng.choice(POSTING_HOURS), minutes=rng.randrange(60))
            template, tone = rng.choice(TEMPLATES)
            rate = base * hour_mult[at.hour] * day_mult[at.weekday()] * tmpl_mult[template]
            rate *= math.exp(rng.gauss(0, 0.35))
            impressions = rng.randint(200, 5000)
            out.append(Sample(at=at, rate=round(int(rate * impressions) / impressions, 6), impressions=impressions,
                              template=template, tone=tone))
    return out


def no_signal(rng: random.Random, days: int, org: int) -> list[Sample]:
    """The sandbox's engagement ratio per post id (its 2-8 % hash), final counts (settled posts)."""
    out = []
    for day in range(days):
        for n in range(rng.choice((1, 1, 2, 3))):
            at = START + timedelta(days=day, hours=rng.choice(POSTING_HOURS))
            h = hashlib.sha256(f"org{org}-post{day}-{n}".encode()).digest()
            reach = 200 + int.from_bytes(h[:2], "big") % 1801
            ratio = 0.02 + (h[2] % 61) / 1000
            engaged = int(reach * ratio * 0.6) + 2 * int(reach * ratio * 0.15) + int(reach * ratio * 0.1)
            template, tone = rng.choice(TEMPLATES)
            out.append(Sample(at=at, rate=engaged / reach, impressions=reach, template=template, tone=tone))
    return out


def run(scenario: str, orgs: int, days: int, seed: int) -> dict:
    rows = []
    for org in range(orgs):
        rng = random.Random(seed * 1000 + org)
        samples = structured(rng, days) if scenario == "structured" else no_signal(rng, days, org)
        rows.append((len(samples), predict.evaluate(samples)))
    both = [e for _, e in rows if e.model_hour_rate is not None and e.baseline_hour_rate is not None]
    return {
        "scenario": scenario, "orgs": orgs, "days": days, "posts_per_org": round(mean(n for n, _ in rows), 1),
        "held_out_per_org": round(mean(e.held_out for _, e in rows), 1),
        "model_mae": round(mean(e.model_mae for _, e in rows), 5),
        "baseline_mae": round(mean(e.baseline_mae for _, e in rows), 5),
        "model_better_orgs": sum(1 for _, e in rows if e.model_mae < e.baseline_mae),
        "best_hour_orgs_scored": len(both),
        "model_best_hour_rate": round(mean(e.model_hour_rate for e in both), 5) if both else None,
        "baseline_best_hour_rate": round(mean(e.baseline_hour_rate for e in both), 5) if both else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orgs", type=int, default=50)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="one JSON line per scenario")
    args = ap.parse_args()
    print(f"method:   {predict.METHOD}")
    print(f"baseline: {predict.BASELINE}")
    for scenario in ("structured", "no-signal"):
        r = run(scenario, args.orgs, args.days, args.seed)
        if args.json:
            print(json.dumps(r))
            continue
        print(f"\n[{scenario}] {r['orgs']} orgs x {r['days']} days, {r['posts_per_org']} posts/org, "
              f"{r['held_out_per_org']} held out/org")
        print(f"  engagement-rate MAE on held-out posts: model {r['model_mae']:.5f}   "
              f"baseline {r['baseline_mae']:.5f}   (model better for {r['model_better_orgs']}/{r['orgs']} orgs)")
        print(f"  best hour, held-out mean rate there:   model {r['model_best_hour_rate']}   "
              f"baseline {r['baseline_best_hour_rate']}   ({r['best_hour_orgs_scored']} orgs with held-out posts "
              f"at both hours)")


if __name__ == "__main__":
    main()
