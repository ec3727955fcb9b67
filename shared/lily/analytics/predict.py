"""Predictive analytics, learned from the org's own history: best times to post per platform and the expected
engagement rate of a draft, with the model's error on held-out posts beside a naive baseline.

**Method** (simple on purpose, and measured): per platform, a post's engagement rate is modelled as the platform
mean plus additive effects of the local hour of publishing, the local weekday, the draft's template and its
tone. Each effect is the mean residual of its group shrunk toward 0 (``sum / (n + PRIOR)``: a group seen once
barely moves the prediction), fitted one after the other on what the previous ones left (one backfitting pass).

Only **settled** posts count (published at least ``SETTLE_H`` hours before now, with impressions reported: the
rate is defined), and a platform needs ``MIN_POSTS`` of them; with fewer the answer says so
(``insufficient_history``) instead of guessing.

**Error**: the history is cut in time: the latest ``HOLD_OUT`` of the posts are held out, the model is fitted on
the earlier ones and its mean absolute error of the rate on the held-out posts is reported beside the naive
baseline's on the same posts. The baseline is "same hour as last week": a post's expected rate is the mean rate
of the posts published at the same local hour in the last 7 days of the training history (that week's mean when
none was). For best times the baseline picks the hour of last week's best post; both chosen hours are scored by
the held-out posts' mean rate at that hour.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import mean, median
from typing import NamedTuple

SETTLE_H = 24
MIN_POSTS = 20
PRIOR = 5.0
HOLD_OUT = 0.25
EFFECTS = ("hour", "weekday", "template", "tone")
METHOD = ("additive shrunk means: platform mean + hour + weekday + template + tone effects, each the mean "
          f"residual of its group / (n + {PRIOR:g}); fitted on all but the latest {HOLD_OUT:.0%} of settled posts")
BASELINE = "same local hour last week: mean rate of the last training week's posts at that hour (else that week's)"


class Sample(NamedTuple):
    """One settled post on one platform, its publishing instant already in the org's time zone."""

    at: datetime  # local (aware) instant
    rate: float
    impressions: int
    template: str | None = None
    tone: str | None = None

    def key(self, effect: str) -> object:
        return {"hour": self.at.hour, "weekday": self.at.weekday(), "template": self.template,
                "tone": self.tone}[effect]


@dataclass
class Model:
    mean: float
    effects: dict[str, dict[object, float]] = field(default_factory=dict)
    hour_posts: dict[int, int] = field(default_factory=dict)
    median_impressions: int = 0

    def predict(self, weekday: int, hour: int, template: str | None = None, tone: str | None = None) -> float:
        keys = {"hour": hour, "weekday": weekday, "template": template, "tone": tone}
        r = self.mean + sum(self.effects.get(e, {}).get(keys[e], 0.0) for e in EFFECTS)
        return max(0.0, r)

    def predict_sample(self, s: Sample) -> float:
        return self.predict(s.at.weekday(), s.at.hour, s.template, s.tone)

    def best_slots(self, limit: int = 3) -> list[tuple[int, int, float]]:
        """(weekday, hour, expected rate), best first, among hours the history has posts at (no extrapolation)."""
        slots = [(d, h, self.predict(d, h)) for d in range(7) for h in self.hour_posts]
        slots.sort(key=lambda s: (-s[2], s[0], s[1]))
        return slots[:limit]


def fit(samples: list[Sample]) -> Model:
    m = Model(mean=mean(s.rate for s in samples), median_impressions=int(median(s.impressions for s in samples)))
    residual = [s.rate - m.mean for s in samples]
    for effect in EFFECTS:
        sums: dict[object, float] = defaultdict(float)
        counts: dict[object, int] = defaultdict(int)
        for s, r in zip(samples, residual, strict=True):
            k = s.key(effect)
            if k is None:  # a post written by hand has no template effect
                continue
            sums[k] += r
            counts[k] += 1
        m.effects[effect] = {k: sums[k] / (counts[k] + PRIOR) for k in sums}
        residual = [r - m.effects[effect].get(s.key(effect), 0.0) for s, r in zip(samples, residual, strict=True)]
    m.hour_posts = dict(sorted(Counter(s.at.hour for s in samples).items()))
    return m


def _last_week(train: list[Sample]) -> list[Sample]:
    end = train[-1].at
    return [s for s in train if s.at > end - timedelta(days=7)]


def baseline_predict(week: list[Sample], s: Sample) -> float:
    same = [w.rate for w in week if w.at.hour == s.at.hour]
    return mean(same) if same else mean(w.rate for w in week)


class Evaluation(NamedTuple):
    held_out: int
    model_mae: float
    baseline_mae: float
    model_hour: int
    model_hour_rate: float | None  # the held-out posts' mean rate at the model's best hour (None: none there)
    baseline_hour: int
    baseline_hour_rate: float | None


def split(samples: list[Sample]) -> tuple[list[Sample], list[Sample]]:
    ordered = sorted(samples, key=lambda s: s.at)
    cut = len(ordered) - max(1, int(len(ordered) * HOLD_OUT))
    return ordered[:cut], ordered[cut:]


def evaluate(samples: list[Sample]) -> Evaluation:
    """Fit on the earlier posts, score the latest ``HOLD_OUT`` against the baseline (``len(samples) >= 2``)."""
    train, test = split(samples)
    model, week = fit(train), _last_week(train)
    model_mae = mean(abs(model.predict_sample(s) - s.rate) for s in test)
    baseline_mae = mean(abs(baseline_predict(week, s) - s.rate) for s in test)
    model_hour = max(model.hour_posts, key=lambda h: (max(model.predict(d, h) for d in range(7)), -h))
    baseline_hour = max(week, key=lambda w: w.rate).at.hour

    def at_hour(h: int) -> float | None:
        found = [s.rate for s in test if s.at.hour == h]
        return round(mean(found), 6) if found else None

    return Evaluation(held_out=len(test), model_mae=round(model_mae, 6), baseline_mae=round(baseline_mae, 6),
                      model_hour=model_hour, model_hour_rate=at_hour(model_hour), baseline_hour=baseline_hour,
                      baseline_hour_rate=at_hour(baseline_hour))


def enough(samples: Iterable[Sample]) -> bool:
    return sum(1 for _ in samples) >= MIN_POSTS
