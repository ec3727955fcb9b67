"""The factory builds the configured adapter and opening it is the start-up dimension check."""

from __future__ import annotations

import pytest

from lily import composition
from lily.core.config import ConfigError, reset_settings
from lily.research.vectors.embedded import EmbeddedVectorIndex
from lily.research.vectors.factory import vector_index
from lily.research.vectors.opensearch import OpenSearchVectorIndex
from lily.research.vectors.ports import IndexMismatchError


def embedder():
    """The deployment's embedder as the settings configure it now (the index must match its model and dimension)."""
    return composition.memory_ports().embedder


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("LILY_RESOURCE_PREFIX", "lily-factory-")
    monkeypatch.setenv("LILY_LOCAL_DATA_DIR", str(tmp_path))
    reset_settings()
    yield monkeypatch
    reset_settings()


def test_local_mode_gets_the_embedded_index_under_the_local_data_directory(env, tmp_path):
    index = vector_index(embedder())
    assert isinstance(index, EmbeddedVectorIndex)
    assert index.directory == tmp_path / "vectors" / "lily-factory-research"
    assert (index.info.model, index.info.dimension) == ("text-embedding-3-large", 1024)
    assert (index.directory / "index.json").is_file()
    assert vector_index(embedder()) is index  # one instance per process


def test_start_up_refuses_an_index_built_for_another_dimension(env):
    # Given an index created by a deployment whose embedder produced 1536-d vectors
    env.setenv("LILY_AI_EMBEDDING_DIMENSIONS", "1536")
    reset_settings()
    vector_index(embedder())
    # When the embedder is reconfigured to 3072-d (the audit's defect), start-up fails naming both
    env.setenv("LILY_AI_EMBEDDING_DIMENSIONS", "3072")
    reset_settings()
    with pytest.raises(IndexMismatchError, match=r"1536-d vectors but the embedder is configured for 3072-d"):
        vector_index(embedder())


def test_the_opensearch_backend_needs_an_endpoint(env):
    env.setenv("LILY_VECTOR_BACKEND", "opensearch")
    reset_settings()
    with pytest.raises(ConfigError, match="LILY_OPENSEARCH_ENDPOINT"):
        vector_index(embedder())


def test_the_opensearch_backend_opens_the_prefixed_index(env, fake_opensearch):
    env.setenv("LILY_VECTOR_BACKEND", "opensearch")
    env.setenv("LILY_OPENSEARCH_ENDPOINT", fake_opensearch.url)
    env.setenv("LILY_OPENSEARCH_AUTH", "none")
    env.setenv("LILY_AI_EMBEDDING_DIMENSIONS", "256")
    reset_settings()
    index = vector_index(embedder())
    assert isinstance(index, OpenSearchVectorIndex) and index.index == "lily-factory-research"
    mapping = fake_opensearch.state.indices["lily-factory-research"].mappings
    assert mapping["properties"]["embedding"]["dimension"] == 256
    index.drop()
