"""Backoff's jitter bounds and reset-time floor, the post status and its rank, and the due-index keys."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from lily.publishing.retry import backoff_delay
from lily.publishing.settings import publishing_settings
from lily.publishing.states import due_sk, post_status, shard_of, shards


class Rand:
    """A jitter source that records the bounds it was asked for and answers with one end of them."""

    def __init__(self, end: str = "top") -> None:
        self.end, self.calls = end, []

    def __call__(self, lo: float, hi: float) -> float:
        self.calls.append((lo, hi))
        return hi if self.end == "top" else lo


def test_full_jitter_draws_from_zero_to_the_ceiling():
    rand = Rand()
    assert backoff_delay(3, base_s=2, cap_s=60, rand=rand) == 8
    assert rand.calls == [(0.0, 8)]


def test_the_floor_is_half_the_base():
    assert backoff_delay(1, base_s=1, cap_s=60, rand=Rand("bottom")) == 0.5
    assert backoff_delay(0, base_s=2, cap_s=60, rand=Rand()) == 2  # attempts below 1 count as the first


def test_a_reset_time_sets_the_floor_plus_up_to_one_base_of_jitter():
    rand = Rand()
    assert backoff_delay(1, base_s=2, cap_s=60, reset_in_s=1, rand=rand) == 3  # 1 s reset + 2 s jitter
    assert rand.calls == [(0.0, 2), (0.0, 2)]
    assert backoff_delay(1, base_s=2, cap_s=60, reset_in_s=0.5, rand=Rand("bottom")) == 1  # max(base/2, 0.5)


@pytest.mark.parametrize("reset", [0, -5, None])
def test_no_reset_time_means_jitter_only(reset):
    rand = Rand()
    assert backoff_delay(4, base_s=2, cap_s=60, reset_in_s=reset, rand=rand) == 16
    assert rand.calls == [(0.0, 16)]


def test_a_long_reset_time_is_waited_past_the_cap():
    assert backoff_delay(1, base_s=2, cap_s=60, reset_in_s=900, rand=Rand()) == 902
    assert backoff_delay(1, base_s=2, cap_s=60, reset_in_s=900, rand=Rand("bottom")) == 900


def post(*states: str) -> tuple[str, int]:
    return post_status([SimpleNamespace(state=s) for s in states])


@pytest.mark.parametrize(("states", "status", "rank"), [
    ((), "draft", 0),
    (("draft", "draft"), "draft", 0),
    (("scheduled", "queued"), "scheduled", 0),
    (("queued", "published"), "scheduled", 1),
    (("publishing", "published", "failed"), "publishing", 2),
    (("published", "published"), "published", 2),
    (("draft", "published"), "published", 1),  # a draft target does not hold the post back
    (("draft", "failed"), "failed", 1),
    (("failed",), "failed", 1),
    (("published", "failed"), "partial", 2),
    (("draft", "published", "failed"), "partial", 2),
])
def test_post_status_and_rank(states, status, rank):
    assert post(*states) == (status, rank)


def test_rank_only_grows_as_targets_finish():
    steps = [("queued", "queued", "queued"), ("publishing", "queued", "queued"), ("published", "queued", "queued"),
             ("published", "failed", "publishing"), ("published", "failed", "published")]
    ranks = [post(*s)[1] for s in steps]
    assert ranks == [0, 0, 1, 2, 3]


def test_due_index_keys():
    n = publishing_settings().due_shards
    assert shards() == [f"due#{i}" for i in range(n)]
    assert shard_of("tgt_1") == f"due#{zlib.crc32(b'tgt_1') % n}"
    assert {shard_of(f"tgt_{i}") for i in range(200)} <= set(shards())
    at = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)
    assert due_sk(at, "tgt_1") == "2026-12-01T09:30:05Z#tgt_1"
