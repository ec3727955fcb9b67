"""N posts (``LILY_RELIABILITY_N``, default 200; 30 of them queued, recurring and feed-created) across ten sandbox
accounts under injected faults, once per
seed of the fault schedule (``LILY_RELIABILITY_SEEDS``, default three): every target is published exactly
once or failed with a reason, Lily's pacing causes no 429, and the publish lag p50/p99 is printed. A failure
prints the history of every duplicated target (claims, lease ends, platform calls, what lookup saw)."""

from __future__ import annotations

import os
import random

import pytest

from tests.reliability import harness

N = int(os.environ.get("LILY_RELIABILITY_N", "200"))
SEEDS = [int(s) for s in os.environ.get("LILY_RELIABILITY_SEEDS", "42,7,2026").split(",")]
# Of the N posts, these are made by automation (a posting queue's slot, a recurring rule's occurrence, a feed item
# dropped into a queue) instead of a direct schedule: all go out through the same dispatcher and publisher.
MIX = {"queued": 10, "recurring": 10, "feed": 10}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_target_published_exactly_once_or_failed_with_a_reason(sandboxes, local_suite, http, owner, seed):
    chaos = harness.Chaos(rng=random.Random(seed))
    report = harness.run(N, http, local_suite, sandboxes, owner["headers"], owner["org_id"], chaos=chaos, mix=MIX)
    print(f"\nseed {seed}\n" + "\n".join(report.lines()))
    assert report.lost == 0 and report.pending == 0, report.lines()
    assert report.duplicated == 0, report.lines()
    assert report.published + report.failed == N, report.lines()
    assert report.mix == {"scheduled": N - sum(MIX.values()), **MIX}, report.lines()
    assert report.unexplained_failures == 0, report.lines()
    assert report.platform_429 <= report.injected_429, report.lines()  # no 429 of Lily's own making
    assert report.pacing_violations == 0, report.lines()
    assert report.crashes >= 1 and report.duplicates_sent >= 1, report.lines()
    assert sum(report.injected.values()) >= 10, report.lines()
    # Every failure has an injected cause: a LinkedIn member post whose publish was ambiguous (a 5xx or a timeout
    # after acceptance) or whose worker crashed after acceptance cannot be looked up without LinkedIn's restricted
    # r_member_social, so Lily fails it as outcome-unknown rather than risk a duplicate (docs/publishing.md,
    # invariant 4). About 2/3 of LinkedIn's ~20 injected faults are ambiguous, so a fixed 95 % floor was luck.
    ambiguous = (report.injected.get("linkedin:5xx", 0) + report.injected.get("linkedin:timeout_after_accept", 0)
                 + report.crashes)
    assert set(report.failed_reasons) <= {"unknown"} and report.failed <= ambiguous, report.lines()
    assert report.published >= N * 0.85, report.lines()
