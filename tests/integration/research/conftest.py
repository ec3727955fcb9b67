"""Fixtures of the vector index conformance suite: every test runs against each adapter.

- ``opensearch``: the OpenSearch k-NN adapter on opensearch-py, against the fake OpenSearch server
  (``tests/support/fake_opensearch.py``), which checks every request body and answers exactly;
- ``embedded``: the faiss adapter in a temporary directory (small shards are searched exactly);
- ``embedded-graph``: the same with ``exact_max=0``, so every search walks the HNSW graph with its filter.
"""

from __future__ import annotations

import itertools

import pytest

from lily.research.vectors.port import IndexInfo
from tests.support.fake_opensearch import FakeOpenSearch

DIMENSION = 16
MODEL = "test-embedding-model"
_names = itertools.count()


@pytest.fixture(scope="session")
def fake_opensearch():
    server = FakeOpenSearch().start()
    yield server
    server.stop()


@pytest.fixture(params=["opensearch", "embedded", "embedded-graph"])
def adapter(request):
    return request.param


@pytest.fixture
def make_index(adapter, tmp_path, request):
    """``make_index(dimension=16, model=MODEL)``: an adapter on this test's index (same place on every call)."""
    name = f"conformance-{next(_names)}"

    def make(dimension: int = DIMENSION, model: str = MODEL):
        info = IndexInfo(model=model, dimension=dimension)
        if adapter == "opensearch":
            from lily.research.vectors.opensearch import OpenSearchVectorIndex, opensearch_client

            fake = request.getfixturevalue("fake_opensearch")
            return OpenSearchVectorIndex(opensearch_client(fake.url, region="us-east-1", auth="none"), name, info)
        from lily.research.vectors.embedded import EmbeddedVectorIndex

        return EmbeddedVectorIndex(tmp_path / name, info, exact_max=0 if adapter == "embedded-graph" else 2048)

    return make


@pytest.fixture
def index(make_index):
    ix = make_index()
    ix.open()
    yield ix
    ix.drop()
