"""Research configuration (environment ``LILY_*``), validated at cold start.

The embedding model and dimension are recorded with the vector index when it is created; opening
an index recorded with another model or dimension fails (``IndexMismatchError``) naming both.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from lily.core.config import BaseSettings, get_settings, load, on_reset, settings_config


class ResearchSettings(BaseSettings):
    model_config = settings_config()

    embedding_model: str = Field("text-embedding-3-large", description="Embedding model of the deployment")
    embedding_dimension: int = Field(
        1024, ge=2, le=16000, description="Embedding dimension (OpenAI `dimensions`); the index is built for it"
    )
    vector_backend: Literal["opensearch", "embedded"] = Field(
        "embedded", description="opensearch: OpenSearch k-NN (the cloud); embedded: faiss index on disk (local mode)"
    )
    vector_index: str = Field(
        "research", pattern=r"^[a-z0-9][a-z0-9_-]{0,60}$", description="Index short name (the resource prefix is added)"
    )
    opensearch_endpoint: str | None = Field(
        None, description="OpenSearch endpoint URL (collection or domain endpoint, https://...)"
    )
    opensearch_auth: Literal["sigv4", "none"] = Field(
        "sigv4", description="sigv4 for Amazon OpenSearch; none for a local test server"
    )
    opensearch_service: Literal["aoss", "es"] = Field(
        "aoss", description="SigV4 service name: aoss (Serverless collection) or es (Service domain)"
    )
    opensearch_timeout_s: float = Field(10.0, gt=0, description="OpenSearch request timeout (seconds)")
    local_data_dir: Path = Field(Path(".lily"), description="Local mode: where the embedded index is persisted")

    def index_name(self) -> str:
        return f"{get_settings().resource_prefix}{self.vector_index}"


@lru_cache(maxsize=1)
def research_settings() -> ResearchSettings:
    return load(ResearchSettings)


on_reset(research_settings.cache_clear)
