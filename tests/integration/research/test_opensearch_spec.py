"""The OpenSearch adapter's bodies against the OpenSearch API specification (``tests/data/opensearch-api-spec``,
from github.com/opensearch-project/opensearch-api-specification; see ``tests/data/README.md``), and the fake
OpenSearch server refusing what the specification refuses.

Checked: the index mapping (``indices.create`` request body: ``TypeMapping`` with a ``KnnVectorProperty``), every
``_bulk`` line the adapter sends (``OperationContainer`` action lines, the NDJSON body as the ``bulk`` request body),
the k-NN query (``search`` request body: ``KnnQuery`` with its ``filter``), the id-only searches of a delete and the
``count`` body.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from lily.research.vectors.opensearch import OpenSearchVectorIndex, index_body, opensearch_client, search_body
from lily.research.vectors.ports import IndexInfo, VectorRecord
from tests.integration.research.conftest import DIMENSION
from tests.support.provider_specs import errors, opensearch_request_body, opensearch_schema

INFO = IndexInfo(model="text-embedding-3-large", dimension=DIMENSION)
CREATE = ("namespaces/indices.yaml", "indices.create")
SEARCH = ("namespaces/_core.yaml", "search")


@pytest.fixture
def fake(fake_opensearch):
    fake_opensearch.state.reset()
    return fake_opensearch


@pytest.fixture
def driven(fake) -> list[tuple[str, str, Any]]:
    """Every request of an index's life: open, upserts (with the replacing deletes), search, count, delete_org."""
    ix = OpenSearchVectorIndex(opensearch_client(fake.url, region="us-east-1", auth="none"), "lily-spec", INFO)
    ix.open()
    unit = [[1.0 if n == i else 0.0 for n in range(DIMENSION)] for i in range(4)]
    ix.upsert([VectorRecord("org-a", f"i{n}", unit[n], "retail") for n in range(3)])
    ix.upsert([VectorRecord("org-a", "i1", unit[3], "retail")])
    assert ix.search("org-a", unit[3], k=2, min_score=0.2, industry=None)
    ix.search("org-a", unit[0], k=5, min_score=0.0, industry="retail")
    assert ix.count("org-a") >= 1
    ix.delete_org("org-a")
    return list(fake.state.requests)


def bodies(requests, method: str, suffix: str) -> list[Any]:
    return [body for m, path, body in requests if m == method and path.endswith(suffix)]


def test_the_index_mapping_is_valid_for_the_specification(driven):
    (body,) = bodies(driven, "PUT", "/lily-spec")
    assert body == index_body(INFO)
    assert errors(opensearch_request_body(*CREATE), body) == []


def test_every_bulk_line_is_valid_for_the_specification(driven):
    raws = bodies(driven, "POST", "/_bulk")
    assert raws
    ops = set()
    for raw in raws:
        lines = [json.loads(line) for line in raw.split("\n") if line]
        assert errors(opensearch_request_body("namespaces/_core.yaml", "bulk"), lines) == []
        for line in lines:
            if len(line) == 1 and next(iter(line)) in ("index", "delete", "create", "update"):
                ops.add(next(iter(line)))
                assert errors(opensearch_schema("schemas/_core.bulk.yaml", "OperationContainer"), line) == []
    assert ops == {"index", "delete"}


def test_every_search_and_count_body_is_valid_for_the_specification(driven):
    searches = bodies(driven, "POST", "/_search")
    assert any("knn" in b["query"] for b in searches) and any("knn" not in b["query"] for b in searches)
    for body in searches:
        assert errors(opensearch_request_body(*SEARCH), body) == []
    for body in bodies(driven, "POST", "/_count"):
        assert errors(opensearch_request_body("namespaces/_core.yaml", "count"), body) == []


def knn() -> dict[str, Any]:
    return search_body("org-a", [0.25] * DIMENSION, 5, 0.1, "retail")


def with_change(body: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


REFUSED_SEARCHES = {
    "k-not-an-integer": (["query", "knn", "embedding", "k"], "five"),
    "vector-not-numbers": (["query", "knn", "embedding", "vector"], "0.1,0.2"),
    "two-query-kinds": (["query", "match_all"], {}),
    "filter-not-a-query": (["query", "knn", "embedding", "filter"], "org_id:org-a"),
    "size-not-an-integer": (["size"], "ten"),
    "source-not-a-field-list": (["_source"], 5),
}


@pytest.mark.parametrize("case", sorted(REFUSED_SEARCHES))
def test_the_fake_refuses_a_search_the_specification_refuses(fake, case):
    OpenSearchVectorIndex(opensearch_client(fake.url, region="us-east-1", auth="none"), "lily-spec", INFO).open()
    body = with_change(knn(), *REFUSED_SEARCHES[case])
    assert errors(opensearch_request_body(*SEARCH), body)
    r = httpx.post(f"{fake.url}/lily-spec/_search", json=body, timeout=5)
    assert r.status_code == 400 and r.json()["error"]["type"] in ("x_content_parse_exception", "parsing_exception")


REFUSED_MAPPINGS = {
    "dimension-not-an-integer": (["mappings", "properties", "embedding", "dimension"], "sixteen"),
    "knn-field-without-dimension": (["mappings", "properties", "embedding"], {"type": "knn_vector"}),
    "properties-not-an-object": (["mappings", "properties"], ["embedding"]),
    "meta-not-an-object": (["mappings", "_meta"], "lily"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_MAPPINGS))
def test_the_fake_refuses_a_mapping_the_specification_refuses(fake, case):
    body = with_change(index_body(INFO), *REFUSED_MAPPINGS[case])
    assert errors(opensearch_request_body(*CREATE), body)
    r = httpx.put(f"{fake.url}/lily-spec-bad", json=body, timeout=5)
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("action", [{"index": {"_index": 5}}, {"delete": {"_index": "lily-spec", "_id": ["a"]}},
                                    {"index": {"_index": "lily-spec", "routing": {"a": 1}}}])
def test_the_fake_refuses_a_bulk_action_the_specification_refuses(fake, action):
    OpenSearchVectorIndex(opensearch_client(fake.url, region="us-east-1", auth="none"), "lily-spec", INFO).open()
    assert errors(opensearch_schema("schemas/_core.bulk.yaml", "OperationContainer"), action)
    raw = json.dumps(action) + "\n" + ("" if "delete" in action else json.dumps({"org_id": "o"}) + "\n")
    r = httpx.post(f"{fake.url}/_bulk", content=raw, headers={"content-type": "application/x-ndjson"}, timeout=5)
    assert r.status_code == 400 and r.json()["error"]["type"] == "x_content_parse_exception", r.text
