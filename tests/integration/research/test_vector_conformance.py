"""One conformance suite for the vector index port, run against every adapter (see conftest)."""

from __future__ import annotations

import math

import pytest

from lily.research.vectors.ports import IndexMismatchError, VectorDimensionError, VectorIndex, VectorRecord
from tests.integration.research.conftest import DIMENSION, MODEL


def axis(i: int, dimension: int = DIMENSION) -> list[float]:
    v = [0.0] * dimension
    v[i] = 1.0
    return v


def at_cosine(c: float, dimension: int = DIMENSION) -> list[float]:
    """A unit vector whose cosine with axis(0) is ``c``."""
    v = [0.0] * dimension
    v[0], v[1] = c, math.sqrt(1 - c * c)
    return v


def ids(hits) -> list[str]:
    return [h.item_id for h in hits]


def test_the_adapter_implements_the_port(index):
    assert isinstance(index, VectorIndex)
    assert (index.info.model, index.info.dimension) == (MODEL, DIMENSION)


def test_an_empty_index_finds_nothing(index):
    assert index.search("org-a", axis(0), k=10) == []
    assert index.count("org-a") == 0


def test_search_returns_the_nearest_first_with_cosine_scores(index):
    # Given five items at known cosines from axis 0
    cosines = {"far": 0.1, "near": 0.95, "mid": 0.5, "opposite": -0.8, "close": 0.8}
    index.upsert([VectorRecord("org-a", item, at_cosine(c)) for item, c in cosines.items()])
    # When searching for axis 0 (scaled: length does not matter) with min_score -1
    hits = index.search("org-a", [3.0] + [0.0] * (DIMENSION - 1), k=3, min_score=-1.0)
    # Then the top three come best first, scored by cosine
    assert ids(hits) == ["near", "close", "mid"]
    assert [round(h.score, 4) for h in hits] == [0.95, 0.8, 0.5]
    assert index.count("org-a") == 5


def test_negative_similarities_are_reported_as_cosines(index):
    index.upsert([VectorRecord("org-a", "opposite", at_cosine(-0.8))])
    hits = index.search("org-a", axis(0), k=5, min_score=-1.0)
    assert ids(hits) == ["opposite"] and hits[0].score == pytest.approx(-0.8, abs=1e-4)


def test_min_score_cuts_off_weaker_matches(index):
    index.upsert([VectorRecord("org-a", f"c{c}", at_cosine(c)) for c in (0.9, 0.75, 0.69, 0.3)])
    assert ids(index.search("org-a", axis(0), k=10, min_score=0.7)) == ["c0.9", "c0.75"]
    assert ids(index.search("org-a", axis(0), k=10, min_score=0.95)) == []
    assert len(index.search("org-a", axis(0), k=10, min_score=0.0)) == 4


def test_upsert_replaces_an_item(index):
    index.upsert([VectorRecord("org-a", "item", axis(0)), VectorRecord("org-a", "other", axis(5))])
    index.upsert([VectorRecord("org-a", "item", axis(1))])
    assert index.count("org-a") == 2
    assert ids(index.search("org-a", axis(1), k=10, min_score=0.9)) == ["item"]
    assert index.search("org-a", axis(0), k=10, min_score=0.5) == []


def test_a_batch_naming_an_item_twice_keeps_the_last(index):
    index.upsert([VectorRecord("org-a", "item", axis(0)), VectorRecord("org-a", "item", axis(2))])
    assert index.count("org-a") == 1
    assert ids(index.search("org-a", axis(2), k=5, min_score=0.9)) == ["item"]


def test_delete_removes_only_the_named_items_of_that_org(index):
    index.upsert([VectorRecord("org-a", i, axis(n)) for n, i in enumerate(["x", "y", "z"])])
    index.upsert([VectorRecord("org-b", "x", axis(0))])
    index.delete("org-a", ["x", "missing"])
    assert index.count("org-a") == 2
    assert "x" not in ids(index.search("org-a", axis(0), k=10, min_score=-1.0))
    assert ids(index.search("org-b", axis(0), k=10)) == ["x"]  # same item id, other org: untouched
    index.delete("org-a", [])
    assert index.count("org-a") == 2


def test_delete_org_removes_every_vector_of_that_org_only(index):
    index.upsert([VectorRecord("org-a", f"a{n}", axis(n)) for n in range(4)])
    index.upsert([VectorRecord("org-b", f"b{n}", axis(n)) for n in range(3)])
    index.delete_org("org-a")
    assert index.count("org-a") == 0
    assert index.search("org-a", axis(0), k=10, min_score=-1.0) == []
    assert index.count("org-b") == 3
    index.delete_org("org-never-seen")


def test_the_org_filter_never_leaks_another_orgs_vectors(index):
    # Given org B holds exact matches and org A only weak ones
    index.upsert([VectorRecord("org-b", f"b{n}", axis(0)) for n in range(20)])
    index.upsert([VectorRecord("org-a", "a-weak", at_cosine(0.2))])
    # When org A searches with a wide k and no score floor
    hits = index.search("org-a", axis(0), k=50, min_score=-1.0)
    # Then it sees its own item only, and an org with nothing sees nothing
    assert ids(hits) == ["a-weak"]
    assert index.search("org-c", axis(0), k=50, min_score=-1.0) == []


def test_the_industry_filter_narrows_within_the_org(index):
    index.upsert([
        VectorRecord("org-a", "bakery-1", at_cosine(0.9), industry="bakery"),
        VectorRecord("org-a", "gym-1", axis(0), industry="fitness"),
        VectorRecord("org-b", "bakery-b", axis(0), industry="bakery"),
    ])
    assert ids(index.search("org-a", axis(0), k=10, industry="bakery")) == ["bakery-1"]
    assert ids(index.search("org-a", axis(0), k=10)) == ["gym-1", "bakery-1"]
    assert index.search("org-a", axis(0), k=10, industry="none-such") == []


def test_opening_an_index_built_for_another_dimension_is_refused(make_index):
    # Given an index created for 16-d vectors
    make_index(dimension=16).open()
    # When the embedder is configured for 12-d, opening fails naming both numbers
    with pytest.raises(IndexMismatchError) as refused:
        make_index(dimension=12).open()
    assert "16" in str(refused.value) and "12" in str(refused.value)
    assert (refused.value.recorded.dimension, refused.value.configured.dimension) == (16, 12)
    # and the index is left as it was
    make_index(dimension=16).open()


def test_opening_an_index_built_with_another_model_is_refused(make_index):
    make_index(model="text-embedding-3-large").open()
    with pytest.raises(IndexMismatchError, match="text-embedding-3-small"):
        make_index(model="text-embedding-3-small").open()


def test_reopening_keeps_the_vectors(make_index):
    first = make_index()
    first.open()
    first.upsert([VectorRecord("org-a", "kept", axis(3))])
    again = make_index()
    again.open()
    assert ids(again.search("org-a", axis(3), k=1)) == ["kept"]


def test_vectors_of_the_wrong_dimension_are_refused(index):
    with pytest.raises(VectorDimensionError, match=f"15 dimensions.*{DIMENSION}-d"):
        index.upsert([VectorRecord("org-a", "short", [1.0] * (DIMENSION - 1))])
    with pytest.raises(VectorDimensionError):
        index.search("org-a", [1.0] * (DIMENSION + 1), k=1)
    assert index.count("org-a") == 0


def test_zero_vectors_and_bad_queries_are_refused(index):
    with pytest.raises(ValueError):
        index.upsert([VectorRecord("org-a", "zero", [0.0] * DIMENSION)])
    for k in (0, 51):
        with pytest.raises(ValueError, match="k must be"):
            index.search("org-a", axis(0), k=k)
    with pytest.raises(ValueError, match="min_score"):
        index.search("org-a", axis(0), k=1, min_score=1.5)


def test_drop_removes_everything_and_open_starts_afresh(make_index):
    ix = make_index()
    ix.open()
    ix.upsert([VectorRecord("org-a", "gone", axis(0))])
    ix.drop()
    fresh = make_index(dimension=8)  # a dropped index can be re-created for another dimension
    fresh.open()
    assert fresh.count("org-a") == 0
    fresh.drop()
