"""Research's side of an organization's erasure (privacy's :class:`lily.privacy.ports.VectorMemory`): every vector
of the organization deleted from the deployment's index (and its research rows, which the registry's table steps
find too; deleting twice is harmless)."""

from __future__ import annotations

from collections.abc import Callable

from lily.research.forget import forget_org
from lily.research.ports import Embedder
from lily.research.vectors.factory import vector_index


class ResearchMemory:
    def __init__(self, embedder: Callable[[], Embedder]) -> None:
        self._embedder = embedder  # built on first use: an erasure without research never loads the AI adapter

    def forget_org(self, org_id: str) -> None:
        forget_org(vector_index(self._embedder()), org_id)
