"""What only the embedded (faiss) adapter has: graph search quality, tombstones, rebuilds, files on disk."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lily.research.vectors.embedded import EmbeddedVectorIndex
from lily.research.vectors.ports import IndexInfo, VectorRecord

INFO = IndexInfo(model="m", dimension=64)


def clustered(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((30, INFO.dimension))
    x = centers[rng.integers(0, 30, n)] + 0.6 * rng.standard_normal((n, INFO.dimension))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def opened(path, **kwargs) -> EmbeddedVectorIndex:
    ix = EmbeddedVectorIndex(path, INFO, **kwargs)
    ix.open()
    return ix


def test_graph_search_finds_the_exact_top_ten(tmp_path):
    # Given 3000 clustered vectors in one org, searched through the HNSW graph
    data = clustered(3020)
    base, queries = data[:3000], data[3000:]
    ix = opened(tmp_path / "ix", exact_max=0)
    ix.upsert([VectorRecord("org", str(i), v) for i, v in enumerate(base)])
    # Then recall@10 against exact search is near perfect
    recall = []
    for q in queries:
        exact = {str(i) for i in np.argsort(-(base @ q))[:10]}
        recall.append(len(exact & {h.item_id for h in ix.search("org", q, k=10, min_score=-1)}) / 10)
    assert np.mean(recall) >= 0.95


def test_replaced_and_deleted_items_leave_tombstones_that_a_rebuild_drops(tmp_path):
    data = clustered(200)
    ix = opened(tmp_path / "ix", exact_max=0)
    ix.upsert([VectorRecord("org", str(i), data[i]) for i in range(100)])
    ix.upsert([VectorRecord("org", str(i), data[100 + i]) for i in range(30)])  # replace 30
    ix.delete("org", [str(i) for i in range(90, 100)])  # delete 10
    shard = ix._shard("org")
    assert (shard.live, shard.dead) == (90, 40)
    before = [ix.search("org", q, k=5, min_score=-1) for q in data[150:160]]
    ix.rebuild()
    assert (ix._shard("org").live, ix._shard("org").dead) == (90, 0)
    after = [ix.search("org", q, k=5, min_score=-1) for q in data[150:160]]
    # the same hits in the same order; a rebuilt faiss index may sum in another order (float32: last bits differ)
    assert [[h.item_id for h in hits] for hits in after] == [[h.item_id for h in hits] for hits in before]
    scores_after, scores_before = [h.score for hits in after for h in hits], [h.score for hits in before for h in hits]
    assert scores_after == pytest.approx(scores_before, abs=1e-6)
    # and the rebuilt shard is what a new process loads
    again = opened(tmp_path / "ix", exact_max=0)
    assert again._shard("org").dead == 0 and again.count("org") == 90


def test_a_shard_rebuilds_itself_when_tombstones_outnumber_live_vectors(tmp_path):
    data = clustered(50)
    ix = opened(tmp_path / "ix")
    ix.upsert([VectorRecord("org", "a", data[0])])
    for n in range(1, 70):
        ix.upsert([VectorRecord("org", "a", data[n % 50])])  # the same item, replaced over and over
    assert ix._shard("org").dead <= 64 and ix.count("org") == 1


def test_the_model_and_dimension_are_recorded_beside_the_shards(tmp_path):
    ix = opened(tmp_path / "ix")
    ix.upsert([VectorRecord("org-1", "a", clustered(1)[0])])
    assert json.loads((tmp_path / "ix" / "index.json").read_text()) == {"model": "m", "dimension": 64}
    assert sorted(p.name for p in (tmp_path / "ix").iterdir()) == ["index.json", "org-org-1.faiss", "org-org-1.json"]


@pytest.mark.parametrize("org_id", ["../../escape", "a/b", ".hidden", "index"])
def test_org_ids_never_name_files_outside_the_index_directory(tmp_path, org_id):
    ix = opened(tmp_path / "ix")
    ix.upsert([VectorRecord(org_id, "a", clustered(1)[0])])
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.parent == tmp_path / "ix" for p in files)
    assert len(files) == 3
    assert opened(tmp_path / "ix").count(org_id) == 1
    ix.delete_org(org_id)
    assert [p.name for p in (tmp_path / "ix").iterdir()] == ["index.json"]


def test_using_the_index_before_opening_it_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="open"):
        EmbeddedVectorIndex(tmp_path / "ix", INFO).count("org")
