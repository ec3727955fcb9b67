"""The one place that builds the deployment's vector index from configuration, and opens it.

Opening is the start-up check: an index recorded with another embedding model or dimension raises
``IndexMismatchError`` (a ``ConfigError``) naming both, before any vector is written or read.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from lily.core.config import ConfigError, get_settings, on_reset
from lily.research.settings import ResearchSettings, research_settings
from lily.research.vectors.ports import IndexInfo, VectorIndex

if TYPE_CHECKING:
    from lily.research.ports import Embedder


def build_vector_index(settings: ResearchSettings, info: IndexInfo) -> VectorIndex:
    """The configured adapter for vectors of ``info``'s model and dimension, not yet opened."""
    if settings.vector_backend == "opensearch":
        from lily.research.vectors.opensearch import OpenSearchVectorIndex, opensearch_client

        if not settings.opensearch_endpoint:
            raise ConfigError("LILY_OPENSEARCH_ENDPOINT: required when LILY_VECTOR_BACKEND=opensearch")
        client = opensearch_client(
            settings.opensearch_endpoint, region=get_settings().region, auth=settings.opensearch_auth,
            service=settings.opensearch_service, timeout_s=settings.opensearch_timeout_s,
        )
        return OpenSearchVectorIndex(client, settings.index_name(), info)
    from lily.research.vectors.embedded import EmbeddedVectorIndex

    return EmbeddedVectorIndex(settings.local_data_dir / "vectors" / settings.index_name(), info)


def vector_index(embedder: Embedder) -> VectorIndex:
    """The deployment's vector index for ``embedder``'s vectors, opened (and so checked against the embedder's
    model and dimension); one instance per process."""
    return _opened(embedder.model, embedder.dimension)


@lru_cache(maxsize=1)
def _opened(model: str, dimension: int) -> VectorIndex:
    index = build_vector_index(research_settings(), IndexInfo(model=model, dimension=dimension))
    index.open()
    return index


on_reset(_opened.cache_clear)
