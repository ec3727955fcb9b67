"""Fixtures of the vector index conformance suite: every test runs against each adapter.

- ``opensearch``: the OpenSearch k-NN adapter on opensearch-py, against the fake OpenSearch server
  (``tests/support/fake_opensearch.py``), which checks every request body and answers exactly;
- ``embedded``: the faiss adapter in a temporary directory (small shards are searched exactly);
- ``embedded-graph``: the same with ``exact_max=0``, so every search walks the HNSW graph with its filter.
"""

from __future__ import annotations

import itertools

import pytest

from lily.research.vectors.opensearch import OpenSearchVectorIndex, opensearch_client
from lily.research.vectors.ports import IndexInfo
from tests.support import localstack
from tests.support.fake_opensearch import FakeOpenSearch

DIMENSION = 16
MODEL = "test-embedding-model"
_names = itertools.count()


@pytest.fixture(scope="session")
def fake_opensearch():
    server = FakeOpenSearch().start()
    yield server
    server.stop()


ADAPTERS = ["opensearch", "embedded", "embedded-graph"] + (["localstack-opensearch"] if localstack.enabled() else [])


@pytest.fixture(params=ADAPTERS)
def adapter(request):
    return request.param


class RefreshingIndex(OpenSearchVectorIndex):
    """The OpenSearch adapter against a LocalStack domain, made read-your-writes for the suite: a real cluster
    shows writes after its refresh interval, so each write is followed by an explicit refresh (which a
    Serverless collection would refuse; the adapter itself never refreshes)."""

    def _refresh(self):
        self.client.indices.refresh(index=self.index)

    def upsert(self, records):
        super().upsert(records)
        self._refresh()

    def delete(self, org_id, item_ids):
        super().delete(org_id, item_ids)
        self._refresh()

    def delete_org(self, org_id):
        super().delete_org(org_id)
        self._refresh()


@pytest.fixture(scope="session")
def localstack_opensearch(emulator):
    return localstack.opensearch_endpoint("lily-conformance")


@pytest.fixture
def make_index(adapter, tmp_path, request):
    """``make_index(dimension=16, model=MODEL)``: an adapter on this test's index (same place on every call)."""
    name = f"conformance-{next(_names)}"

    def make(dimension: int = DIMENSION, model: str = MODEL):
        info = IndexInfo(model=model, dimension=dimension)
        if adapter == "localstack-opensearch":
            endpoint = request.getfixturevalue("localstack_opensearch")
            return RefreshingIndex(opensearch_client(endpoint, region="us-east-1", auth="none"), name, info)
        if adapter == "opensearch":
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
