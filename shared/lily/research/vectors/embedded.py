"""Embedded adapter of the vector index port: faiss HNSW indexes on local disk (local mode).

faiss-cpu was chosen over hnswlib by measurement (``docs/research.md``, ``tests/bench/vectors.py``).
Layout under ``<LILY_LOCAL_DATA_DIR>/vectors/<index>/``:

- ``index.json``: the embedding model and dimension the index was created for;
- ``org-<org>.faiss`` + ``org-<org>.json``: one shard per org (an HNSW graph over flat inner-product storage,
  and the item id and industry of every graph label). One shard per org keeps tenants apart by
  construction: a search only ever walks its own org's graph.

faiss's HNSW cannot remove a vector, so a replaced or deleted item leaves a tombstone (its label maps
to nothing and an ``IDSelector`` keeps it out of results). :meth:`EmbeddedVectorIndex.rebuild` builds
fresh graphs from the live vectors; a shard rebuilds itself once tombstones outnumber live vectors.

Like OpenSearch's efficient filtering, a search whose filter leaves at most ``exact_max`` candidates is
answered exactly (flat scan of the candidates); larger ones walk the graph with the filter applied.
A shard is written (to a temporary file, then renamed) after every change; the local mode's volumes
are small. Thread-safe within a process: build one instance per process (the factory caches it).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import numpy as np

from lily.research.vectors.ports import (
    IndexInfo,
    IndexMismatchError,
    VectorDimensionError,
    VectorHit,
    VectorRecord,
    check_query,
    latest,
)

HNSW_M = 16
EF_CONSTRUCTION = 128
EF_SEARCH = 128  # clustered 100k x 1024-d: recall@10 1.000, CPU p99 1.1 ms (docs/research.md, bench)
EXACT_MAX = 2048
SHARD_PREFIX = "org-"


def unit_rows(vectors: Iterable[Sequence[float]], dimension: int) -> np.ndarray:
    """A float32 matrix of L2-normalised rows, each checked for ``dimension``."""
    rows = [np.asarray(v, dtype=np.float32) for v in vectors]
    for row in rows:
        if row.shape != (dimension,):
            raise VectorDimensionError(row.shape[-1] if row.ndim else 0, dimension)
    matrix = np.vstack(rows) if rows else np.zeros((0, dimension), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        raise ValueError("a vector must be finite and non-zero")
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


def new_graph(dimension: int, m: int = HNSW_M, ef_construction: int = EF_CONSTRUCTION) -> Any:
    import faiss

    graph = faiss.IndexHNSWFlat(dimension, m, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = ef_construction
    return graph


@dataclass
class Shard:
    """One org's vectors: an HNSW graph and, per graph label, ``(item_id, industry)`` or ``None`` (tombstone)."""

    dimension: int
    graph: Any = None
    rows: list[tuple[str, str] | None] = field(default_factory=list)
    ef_search: int = EF_SEARCH
    exact_max: int = EXACT_MAX

    def __post_init__(self) -> None:
        if self.graph is None:
            self.graph = new_graph(self.dimension)
        self.where = {row[0]: label for label, row in enumerate(self.rows) if row is not None}

    @property
    def live(self) -> int:
        return len(self.where)

    @property
    def dead(self) -> int:
        return len(self.rows) - len(self.where)

    def add(self, items: Sequence[tuple[str, str]], matrix: np.ndarray) -> None:
        """Add (or replace) items; ``matrix`` rows are unit vectors in the same order."""
        self.remove([item for item, _ in items])
        self.graph.add(matrix)
        for item, industry in items:
            self.where[item] = len(self.rows)
            self.rows.append((item, industry))
        if self.dead > max(self.live, 64):
            self.rebuild()

    def remove(self, item_ids: Iterable[str]) -> None:
        for item in item_ids:
            label = self.where.pop(item, None)
            if label is not None:
                self.rows[label] = None

    def rebuild(self) -> None:
        """A fresh graph over the live vectors only (labels renumbered)."""
        labels = np.fromiter(self.where.values(), dtype=np.int64, count=self.live)
        labels.sort()
        vectors = self.graph.reconstruct_batch(labels) if len(labels) else None
        graph = new_graph(self.dimension, self.graph.hnsw.nb_neighbors(1), self.graph.hnsw.efConstruction)
        if vectors is not None:
            graph.add(vectors)
        self.rows = [self.rows[int(label)] for label in labels]
        self.graph = graph
        self.__post_init__()

    def search(self, query: np.ndarray, k: int, min_score: float, industry: str | None) -> list[VectorHit]:
        import faiss

        if industry is None:
            candidates = None if not self.dead else np.fromiter(self.where.values(), dtype=np.int64)
            count = self.live
        else:
            candidates = np.array([label for label, row in enumerate(self.rows)
                                   if row is not None and row[1] == industry], dtype=np.int64)
            count = len(candidates)
        if count == 0:
            return []
        selector = faiss.IDSelectorBatch(candidates) if candidates is not None else None
        k = min(k, count)
        if count <= self.exact_max:
            params = faiss.SearchParameters(sel=selector)
            scores, labels = self.graph.storage.search(query, k, params=params)
        else:
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k), sel=selector)
            scores, labels = self.graph.search(query, k, params=params)
        hits = []
        for score, label in zip(scores[0], labels[0], strict=True):
            row = self.rows[label] if label >= 0 else None
            if row is not None and score >= min_score:
                hits.append(VectorHit(row[0], float(min(score, 1.0))))
        return hits

    def memory_bytes(self) -> int:
        """Bytes the shard's graph and vectors take (its serialised size)."""
        import faiss

        return int(faiss.serialize_index(self.graph).nbytes)


class EmbeddedVectorIndex:
    """The vector index port on faiss HNSW shards persisted in ``directory``."""

    def __init__(self, directory: Path, info: IndexInfo, *, ef_search: int = EF_SEARCH,
                 exact_max: int = EXACT_MAX) -> None:
        self.directory = Path(directory)
        self._info = info
        self.ef_search = ef_search
        self.exact_max = exact_max
        self._shards: dict[str, Shard] = {}
        self._lock = threading.RLock()
        self._opened = False

    @property
    def info(self) -> IndexInfo:
        return self._info

    @property
    def _record(self) -> Path:
        return self.directory / "index.json"

    def _path(self, org_id: str, suffix: str) -> Path:
        return self.directory / f"{SHARD_PREFIX}{quote(org_id, safe='')}{suffix}"

    def open(self) -> None:
        with self._lock:
            if self._record.is_file():
                raw = json.loads(self._record.read_text())
                recorded = IndexInfo(model=str(raw.get("model")), dimension=int(raw.get("dimension", 0)))
                if recorded != self._info:
                    raise IndexMismatchError(str(self.directory), recorded, self._info)
            else:
                self.directory.mkdir(parents=True, exist_ok=True)
                _write_atomic(self._record, json.dumps(
                    {"model": self._info.model, "dimension": self._info.dimension}).encode())
            self._shards.clear()
            self._opened = True

    def _shard(self, org_id: str, create: bool = False) -> Shard | None:
        if not self._opened:
            raise RuntimeError("open() the vector index first")
        shard = self._shards.get(org_id)
        if shard is None:
            graph_path, rows_path = self._path(org_id, ".faiss"), self._path(org_id, ".json")
            if graph_path.is_file() and rows_path.is_file():
                import faiss

                rows = [tuple(r) if r is not None else None for r in json.loads(rows_path.read_text())]
                shard = Shard(self._info.dimension, faiss.read_index(str(graph_path)), rows)  # type: ignore[arg-type]
            elif create:
                shard = Shard(self._info.dimension)
            else:
                return None
            shard.ef_search, shard.exact_max = self.ef_search, self.exact_max
            self._shards[org_id] = shard
        return shard

    def _save(self, org_id: str, shard: Shard) -> None:
        import faiss

        if shard.live == 0:
            self._forget(org_id)
            return
        _write_atomic(self._path(org_id, ".faiss"), faiss.serialize_index(shard.graph).tobytes())
        _write_atomic(self._path(org_id, ".json"), json.dumps(shard.rows).encode())

    def _forget(self, org_id: str) -> None:
        self._shards.pop(org_id, None)
        for suffix in (".faiss", ".json"):
            self._path(org_id, suffix).unlink(missing_ok=True)

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        records = latest(records)
        matrix = unit_rows((r.vector for r in records), self._info.dimension)
        by_org: dict[str, list[int]] = {}
        for position, r in enumerate(records):
            by_org.setdefault(r.org_id, []).append(position)
        with self._lock:
            for org_id, positions in by_org.items():
                shard = self._shard(org_id, create=True)
                assert shard is not None
                shard.add([(records[p].item_id, records[p].industry) for p in positions], matrix[positions])
                self._save(org_id, shard)

    def delete(self, org_id: str, item_ids: Sequence[str]) -> None:
        with self._lock:
            shard = self._shard(org_id)
            if shard is not None and item_ids:
                shard.remove(item_ids)
                self._save(org_id, shard)

    def delete_org(self, org_id: str) -> None:
        with self._lock:
            self._forget(org_id)

    def search(
        self, org_id: str, vector: Sequence[float], k: int, min_score: float = 0.0, industry: str | None = None
    ) -> list[VectorHit]:
        check_query(k, min_score)
        query = unit_rows([vector], self._info.dimension)
        with self._lock:
            shard = self._shard(org_id)
            return [] if shard is None else shard.search(query, k, min_score, industry)

    def count(self, org_id: str) -> int:
        with self._lock:
            shard = self._shard(org_id)
            return 0 if shard is None else shard.live

    def rebuild(self) -> None:
        """Rebuild every shard's graph from its live vectors (drops tombstones)."""
        with self._lock:
            for path in sorted(self.directory.glob(f"{SHARD_PREFIX}*.faiss")):
                org_id = unquote(path.stem.removeprefix(SHARD_PREFIX))
                shard = self._shard(org_id)
                if shard is not None:
                    shard.rebuild()
                    self._save(org_id, shard)

    def drop(self) -> None:
        with self._lock:
            for path in self.directory.glob("*"):
                if path.suffix in (".faiss", ".json", ".tmp"):
                    path.unlink(missing_ok=True)
            self._shards.clear()
            self._opened = False


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
