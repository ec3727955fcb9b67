"""Research configuration (environment ``LILY_*``), validated at cold start.

The embedding model and dimension are the AI capability's (``LILY_AI_EMBEDDING_MODEL``,
``LILY_AI_EMBEDDING_DIMENSIONS``): one source, so the index and the embedder cannot be configured apart.
They are recorded with the vector index when it is created; opening an index recorded with another model
or dimension fails (``IndexMismatchError``) naming both.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from lily.core.config import BaseSettings, get_settings, load, on_reset, settings_config


class ResearchSettings(BaseSettings):
    model_config = settings_config()

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
    research_top_k: int = Field(20, ge=1, le=50, description="Items retrieved per theme query (PRODUCT.md: 1-50)")
    research_min_score: float = Field(0.7, ge=-1, le=1, description=(
        "Retrieval threshold, cosine (PRODUCT.md: 0.7), for an embedding model not in embedding_floors"))
    # The OpenAI floors below are UNCALIBRATED PLACEHOLDERS until `make calibrate-floors` is run with a key (none is
    # available where Lily is built): it embeds the labelled pairs with each configured model and prints the
    # LILY_EMBEDDING_FLOORS value to deploy (docs/research.md, "Calibrating the floors").
    embedding_floors: dict[str, float] = Field(
        default_factory=lambda: {"text-embedding-3-large": 0.45, "text-embedding-3-small": 0.45}, description=(
            "Retrieval threshold per embedding model: similarities are not comparable across models (text-embedding-3 "
            "models score related texts lower than the local MiniLM model). The OpenAI values are an uncalibrated "
            "placeholder until `make calibrate-floors` is run with a key, on the labelled pairs in "
            "tests/bench/data/similarity_pairs.json (local mode's MiniLM floor is calibrated: `make bench-vectors`)"))
    research_confidence_floor: float = Field(0.7, ge=0, le=1, description="Insights below it are flagged")
    research_own_posts_days: int = Field(90, ge=1, le=365, description="Own published posts looked at (days)")
    research_own_posts_max: int = Field(50, ge=0, le=200, description="At most this many own posts per run")
    max_runs_in_flight: int = Field(2, ge=1, le=20, description=(
        "Research runs an org may have queued or running at once; one more is refused (409 VALIDATION_003)"))
    run_stale_s: int = Field(1800, ge=60, description=(
        "A queued or running job older than this no longer counts as in flight (its worker died)"))
    run_budget_s: float = Field(240.0, gt=0, description=(
        "A run still working after this long fails (WORKFLOW_001) between stages, before the worker's 300 s end"))
    feed_timeout_s: float = Field(5.0, gt=0, le=30, description="Total time limit of one feed fetch (all of it)")
    feed_max_bytes: int = Field(1_000_000, ge=1024, description="Largest feed body read; longer ones are refused")
    feed_max_items: int = Field(50, ge=1, le=500, description="Entries taken from one feed")
    feed_max_redirects: int = Field(3, ge=0, le=10, description="Redirects followed (each target checked again)")
    feed_allowed_private: list[str] = Field(
        [],
        description="host:port pairs a feed may be fetched from although they resolve to a private or loopback "
                    "address: only the local feeds sandbox sets it (JSON list); empty in the cloud")

    def index_name(self) -> str:
        return f"{get_settings().resource_prefix}{self.vector_index}"

    def floor_for(self, model: str) -> float:
        """The retrieval threshold of ``model`` (``embedding_floors``, else ``research_min_score``)."""
        return self.embedding_floors.get(model, self.research_min_score)


@lru_cache(maxsize=1)
def research_settings() -> ResearchSettings:
    return load(ResearchSettings)


on_reset(research_settings.cache_clear)
