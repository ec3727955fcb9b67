"""The one place that builds the deployment's vector index from configuration, and opens it.

Opening is the start-up check: an index recorded with another embedding model or dimension raises
``IndexMismatchError`` (a ``ConfigError``) naming both, before any vector is written or read.
"""

from __future__ import annotations

from functools import lru_cache

from lily.core.config import ConfigError, get_settings, on_reset
from lily.research.settings import ResearchSettings, research_settings
from lily.research.vectors.port import IndexInfo, VectorIndex


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


@lru_cache(maxsize=1)
def vector_index() -> VectorIndex:
    """The deployment's vector index, opened (and so checked against the embedder's model and dimension)."""
    from lily import composition

    embedder = composition.research_ports().embedder
    index = build_vector_index(research_settings(), IndexInfo(model=embedder.model, dimension=embedder.dimension))
    index.open()
    return index


on_reset(vector_index.cache_clear)
