"""The vector index port: what research memory needs from a k-NN index, whatever holds it.

Two adapters implement it and one conformance suite (``tests/integration/research``) runs against
both: :mod:`lily.research.vectors.opensearch` (OpenSearch k-NN, the cloud) and
:mod:`lily.research.vectors.embedded` (faiss HNSW on disk, local mode).

Rules every adapter keeps:

- An index holds vectors of one embedding model and one dimension, recorded with the index when it
  is created. :meth:`VectorIndex.open` creates a missing index, and refuses (``IndexMismatchError``,
  naming both values) an index recorded with another model or dimension: the audit's product indexed
  1536-d vectors while its embedder produced 3072-d ones.
- Every vector passed in has the index's dimension (``VectorDimensionError`` otherwise) and is stored
  L2-normalised, so inner product is cosine similarity.
- Ids are scoped by org: ``(org_id, item_id)`` names one vector; the same item id in two orgs names two
  vectors. Every read and delete is filtered by org, so one org never sees or removes another's.
- Scores are cosine similarities in [-1, 1]; ``min_score`` cuts on that scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from lily.core.config import ConfigError


class IndexInfo(NamedTuple):
    """The embedding model and dimension an index holds: written when it is created."""

    model: str
    dimension: int


class VectorRecord(NamedTuple):
    org_id: str
    item_id: str
    vector: Sequence[float]
    industry: str = ""


class VectorHit(NamedTuple):
    item_id: str
    score: float  # cosine similarity


class IndexMismatchError(ConfigError):
    """The index was built for another embedding model or dimension: refuse to start."""

    def __init__(self, index: str, recorded: IndexInfo, configured: IndexInfo) -> None:
        self.recorded = recorded
        self.configured = configured
        what = []
        if recorded.dimension != configured.dimension:
            what.append(f"it holds {recorded.dimension}-d vectors but the embedder is configured "
                        f"for {configured.dimension}-d")
        if recorded.model != configured.model:
            what.append(f"it was built with model {recorded.model!r} but the embedder is {configured.model!r}")
        super().__init__(
            f"vector index {index!r} does not match the embedder: {'; '.join(what)}. "
            "Re-index (drop the index and embed again) or configure the embedder the index was built with."
        )


class VectorDimensionError(ValueError):
    """A vector's length differs from the index dimension."""

    def __init__(self, got: int, expected: int) -> None:
        super().__init__(f"vector has {got} dimensions; the index holds {expected}-d vectors")
        self.got = got
        self.expected = expected


MAX_K = 50  # PRODUCT.md: retrieval top-k 1-50


@runtime_checkable
class VectorIndex(Protocol):
    """A k-NN index of org-scoped, normalised vectors."""

    @property
    def info(self) -> IndexInfo:
        """The model and dimension this index was opened for."""
        ...

    def open(self) -> None:
        """Create the index if missing; raise :class:`IndexMismatchError` if it records another model/dimension."""
        ...

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        """Insert or replace ``(org_id, item_id)`` vectors, in one bulk operation."""
        ...

    def delete(self, org_id: str, item_ids: Sequence[str]) -> None:
        """Remove these items of ``org_id`` (missing ones are ignored)."""
        ...

    def delete_org(self, org_id: str) -> None:
        """Remove every vector of ``org_id`` (the org was deleted)."""
        ...

    def search(
        self, org_id: str, vector: Sequence[float], k: int, min_score: float = 0.0, industry: str | None = None
    ) -> list[VectorHit]:
        """The ``k`` nearest of ``org_id``'s vectors (and ``industry``'s, if given) scoring at least ``min_score``,
        best first."""
        ...

    def count(self, org_id: str) -> int:
        """How many vectors ``org_id`` has."""
        ...

    def drop(self) -> None:
        """Delete the whole index and its record (re-indexing after a model change)."""
        ...


def normalized(vector: Sequence[float], dimension: int) -> list[float]:
    """``vector`` scaled to unit length, after checking its dimension. A zero vector cannot be normalised."""
    if len(vector) != dimension:
        raise VectorDimensionError(len(vector), dimension)
    norm = math.sqrt(math.fsum(float(x) * float(x) for x in vector))
    if not norm or not math.isfinite(norm):
        raise ValueError("a vector must be finite and non-zero")
    return [float(x) / norm for x in vector]


def latest(records: Sequence[VectorRecord]) -> list[VectorRecord]:
    """``records`` with one record per ``(org_id, item_id)``: a batch naming an item twice keeps the last."""
    last = {(r.org_id, r.item_id): r for r in records}
    return list(last.values())


def check_query(k: int, min_score: float) -> None:
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
    if not -1.0 <= min_score <= 1.0:
        raise ValueError(f"min_score is a cosine similarity in [-1, 1], got {min_score}")
