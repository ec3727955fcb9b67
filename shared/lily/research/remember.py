"""Remembering a run's items (the research worker's step; the HTTP function never imports it: numpy).

Items seen before (same content hash) keep their stored vector and are not embedded again; new ones are
embedded in batches (the deployment's model and dimension), written to ``research_items`` (conditional on
absence of a vector) and upserted into the vector index in one bulk call.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from lily.ai.ports import CallContext
from lily.core import clock
from lily.core.db import won
from lily.research.memory import stored
from lily.research.models import ResearchItem
from lily.research.ports import ResearchPorts
from lily.research.vectors.ports import VectorIndex, VectorRecord

if TYPE_CHECKING:
    from lily.research.sources import SourceItem

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


def remember(ports: ResearchPorts, org_id: str, industry: str, items: list[SourceItem], ctx: CallContext,
             index: VectorIndex) -> Remembered:
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
            # A lost race means a concurrent run stored it with its vector: same content, same vector.
            won(lambda row=row: row.save(condition=ResearchItem.vector.does_not_exist()))
        index.upsert([VectorRecord(org_id, items[n].item_id, vectors[n].tolist(), industry) for n in fresh])
    return Remembered(vectors=vectors, new=len(fresh), seen=len(items) - len(fresh), tokens=tokens)
