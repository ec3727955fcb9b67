"""Research memory: the org's de-duplicated items, their embeddings and the vector index.

:func:`remember` stores a run's items: items seen before (same content hash) keep their stored vector and
are not embedded again; new ones are embedded in batches (the deployment's model and dimension), written to
``research_items`` (conditional on absence) and upserted into the vector index in one bulk call.
:func:`search` answers ``POST .../research/search`` over the same index.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from lily import composition
from lily.ai.port import CallContext
from lily.core import clock
from lily.core.db import won
from lily.research.models import ResearchItem
from lily.research.ports import ResearchPorts
from lily.research.schemas import SearchHit, SearchIn, SearchOut
from lily.research.sources import SourceItem
from lily.research.vectors.factory import vector_index
from lily.research.vectors.port import VectorIndex, VectorRecord

RETENTION = timedelta(days=365)


def pack(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()


def unpack(data: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(data), dtype="<f4")


def unit(vectors: list[list[float]] | np.ndarray) -> np.ndarray:
    m = np.asarray(vectors, dtype=np.float32)
    if m.size == 0:
        return m.reshape(0, 0)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


@dataclass
class Remembered:
    vectors: np.ndarray  # one unit row per item, in the order given
    new: int
    seen: int
    tokens: int


def stored(org_id: str, item_ids: list[str]) -> dict[str, ResearchItem]:
    """The stored items among ``item_ids`` (BatchGetItem, 100 keys a call)."""
    found: dict[str, ResearchItem] = {}
    for start in range(0, len(item_ids), 100):
        for row in ResearchItem.batch_get([(org_id, i) for i in item_ids[start:start + 100]]):
            found[row.item_id] = row
    return found


def remember(ports: ResearchPorts, org_id: str, industry: str, items: list[SourceItem], ctx: CallContext,
             index: VectorIndex | None = None) -> Remembered:
    index = index or vector_index()
    dimension = ports.embedder.dimension
    known = stored(org_id, [i.item_id for i in items])
    vectors = np.zeros((len(items), dimension), dtype=np.float32)
    fresh: list[int] = []
    for n, item in enumerate(items):
        row = known.get(item.item_id)
        vector = unpack(row.vector) if row is not None and row.vector else None
        if vector is not None and vector.shape == (dimension,):
            vectors[n] = vector
        else:
            fresh.append(n)
    tokens = 0
    if fresh:
        answer = ports.embedder.embed([items[n].content for n in fresh], ctx)
        tokens = answer.usage.total_tokens
        embedded = unit(answer.vectors)
        now = clock.now()
        for n, vector in zip(fresh, embedded, strict=True):
            vectors[n] = vector
            item = items[n]
            row = ResearchItem(org_id, item.item_id, source=item.source, source_ref=item.source_ref, url=item.url,
                               title=item.title, text=item.text, published_at=item.published_at,
                               engagement=item.engagement, industry=industry, vector=pack(vector),
                               first_seen_at=now, expires_at=now + RETENTION)
            if not won(lambda row=row: row.save(condition=ResearchItem.vector.does_not_exist())):
                continue  # stored with its vector meanwhile (a concurrent run): same content, same vector
        index.upsert([VectorRecord(org_id, items[n].item_id, vectors[n].tolist(), industry) for n in fresh])
    return Remembered(vectors=vectors, new=len(fresh), seen=len(items) - len(fresh), tokens=tokens)


def search(org_id: str, body: SearchIn, user_id: str | None) -> SearchOut:
    """The org's remembered items nearest to a query text, over the similarity floor."""
    ports = composition.research_ports()
    ports.gate.require(org_id)  # embedding the query costs; research memory is a plan feature
    answer = ports.embedder.embed([body.query], CallContext(org_id=org_id, user_id=user_id,
                                                            feature="research.search"))
    hits = vector_index().search(org_id, answer.vectors[0], body.k, body.min_score, body.industry)
    rows = stored(org_id, [h.item_id for h in hits])
    items = [SearchHit(item_id=h.item_id, score=round(h.score, 4), source=rows[h.item_id].source,
                       title=rows[h.item_id].title, url=rows[h.item_id].url, text=rows[h.item_id].text[:1000])
             for h in hits if h.item_id in rows]
    return SearchOut(items=items, model=ports.embedder.model, dimension=ports.embedder.dimension)
