"""The OpenSearch adapter's requests, checked by the fake OpenSearch; and the fake's own strictness."""

from __future__ import annotations

import json

import httpx
import pytest

from lily.research.vectors.opensearch import (
    OpenSearchVectorIndex,
    from_engine_score,
    opensearch_client,
    to_engine_score,
)
from lily.research.vectors.ports import IndexInfo, VectorRecord
from tests.integration.research.conftest import DIMENSION

INFO = IndexInfo(model="text-embedding-3-large", dimension=DIMENSION)


@pytest.fixture
def fake(fake_opensearch):
    fake_opensearch.state.reset()
    return fake_opensearch


@pytest.fixture
def index(fake):
    ix = OpenSearchVectorIndex(opensearch_client(fake.url, region="us-east-1", auth="none"), "lily-test-research", INFO)
    ix.open()
    return ix


def sent(fake, method: str, suffix: str) -> list:
    return [body for m, path, body in fake.state.requests if m == method and path.endswith(suffix)]


def unit(i: int) -> list[float]:
    return [1.0 if n == i else 0.0 for n in range(DIMENSION)]


def test_the_index_is_created_for_hnsw_faiss_inner_product_with_model_and_dimension_recorded(fake, index):
    (body,) = sent(fake, "PUT", "/lily-test-research")
    assert body["settings"]["index"]["knn"] is True
    field = body["mappings"]["properties"]["embedding"]
    assert field == {"type": "knn_vector", "dimension": DIMENSION,
                     "method": {"name": "hnsw", "engine": "faiss", "space_type": "innerproduct",
                                "parameters": {"m": 16, "ef_construction": 128}}}
    assert {body["mappings"]["properties"][f]["type"] for f in ("org_id", "item_id", "industry")} == {"keyword"}
    assert body["mappings"]["_meta"] == {"lily": {"model": "text-embedding-3-large", "dimension": DIMENSION}}


def test_opening_an_existing_index_does_not_create_it_again(fake, index):
    index.open()
    assert len(sent(fake, "PUT", "/lily-test-research")) == 1


def test_upserts_are_one_bulk_of_index_actions_without_ids(fake, index):
    index.upsert([VectorRecord("org-a", f"i{n}", unit(n), "retail") for n in range(3)])
    (raw,) = sent(fake, "POST", "/_bulk")
    lines = raw.splitlines()
    assert len(lines) == 6 and raw.endswith("\n")
    actions, docs = [json.loads(x) for x in lines[::2]], [json.loads(x) for x in lines[1::2]]
    assert actions == [{"index": {"_index": "lily-test-research"}}] * 3  # Serverless assigns the ids
    assert docs[0]["org_id"] == "org-a" and docs[0]["item_id"] == "i0" and docs[0]["industry"] == "retail"
    assert len(docs[0]["embedding"]) == DIMENSION
    # the previous versions of these items were looked up first, scoped to the org (ids only)
    (lookup, *_) = sent(fake, "POST", "/_search")
    assert lookup == {"size": 1000, "_source": False,
                      "query": {"bool": {"filter": [{"term": {"org_id": "org-a"}},
                                                    {"terms": {"item_id": ["i0", "i1", "i2"]}}]}}}
    assert sent(fake, "POST", "/_delete_by_query") == []


def test_an_upsert_replaces_previous_documents_by_id_without_delete_by_query(fake, index):
    # _delete_by_query is not an operation of Serverless vector collections (the fake refuses it)
    index.upsert([VectorRecord("org-a", "i", unit(0)), VectorRecord("org-b", "i", unit(0))])
    index.upsert([VectorRecord("org-a", "i", unit(1))])
    assert index.count("org-a") == 1 and index.count("org-b") == 1
    deletes = [json.loads(line) for raw in sent(fake, "POST", "/_bulk") for line in raw.splitlines()
               if line.startswith('{"delete"')]
    assert len(deletes) == 1 and set(deletes[0]["delete"]) == {"_index", "_id"}
    index.delete_org("org-a")
    assert index.count("org-a") == 0 and index.count("org-b") == 1
    assert sent(fake, "POST", "/_delete_by_query") == []


def test_vectors_are_sent_normalised(fake, index):
    index.upsert([VectorRecord("org-a", "i", [3.0, 4.0] + [0.0] * (DIMENSION - 2))])
    doc = json.loads(sent(fake, "POST", "/_bulk")[0].splitlines()[1])
    assert doc["embedding"][:2] == pytest.approx([0.6, 0.8])


def test_search_filters_inside_the_knn_query_and_cuts_on_the_engine_score(fake, index):
    index.search("org-a", unit(0), k=7, min_score=0.7, industry="retail")
    (body,) = sent(fake, "POST", "/_search")
    knn = body["query"]["knn"]["embedding"]
    assert knn["k"] == 7 and body["size"] == 7
    assert knn["filter"] == {"bool": {"filter": [{"term": {"org_id": "org-a"}}, {"term": {"industry": "retail"}}]}}
    assert body["min_score"] == pytest.approx(1.7)  # faiss inner product: score = 1 + cosine above 0
    assert body["_source"] == ["item_id"]


@pytest.mark.parametrize("cosine", [-1.0, -0.5, 0.0, 0.3, 0.7, 1.0])
def test_engine_scores_convert_both_ways(cosine):
    assert from_engine_score(to_engine_score(cosine)) == pytest.approx(cosine)


def test_delete_org_searches_the_orgs_ids_and_deletes_them_by_id(fake, index):
    index.delete_org("org-z")
    assert sent(fake, "POST", "/_search") == [{"size": 1000, "_source": False,
                                               "query": {"bool": {"filter": [{"term": {"org_id": "org-z"}}]}}}]
    assert sent(fake, "POST", "/_delete_by_query") == []


def test_sigv4_signs_requests_for_the_configured_service_and_region(fake):
    # Given a client for a Serverless collection in eu-west-1 (credentials from the environment)
    client = opensearch_client(fake.url, region="eu-west-1", auth="sigv4", service="aoss")
    # When it calls the collection
    client.indices.exists(index="lily-test-research")
    # Then the request carries a SigV4 signature scoped to that region and service
    headers = fake.state.headers[-1]
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    assert "/eu-west-1/aoss/aws4_request" in headers["authorization"]
    assert "x-amz-date" in headers and "x-amz-content-sha256" in headers


def test_without_sigv4_nothing_is_signed(fake, index):
    assert "authorization" not in fake.state.headers[-1]


def test_an_unreachable_cluster_is_a_retryable_domain_error():
    from lily.core.errors import ErrorCode, LilyError
    from lily.local.runner import free_port

    client = opensearch_client(f"http://127.0.0.1:{free_port()}", region="us-east-1", auth="none", timeout_s=1)
    with pytest.raises(LilyError) as failed:
        OpenSearchVectorIndex(client, "lily-test-research", INFO).search("org-a", unit(0), k=1)
    assert failed.value.code == ErrorCode.EXTERNAL_003 and failed.value.retryable


def test_a_refused_request_is_a_domain_error_that_is_not_retried(fake, index):
    from lily.core.errors import LilyError

    index.client.indices.delete(index="lily-test-research")
    with pytest.raises(LilyError) as failed:
        index.count("org-a")  # 404 index_not_found_exception
    assert failed.value.details["status"] == 404 and not failed.value.retryable


# -- the fake is strict: it rejects what OpenSearch rejects --


def raw_call(fake, method: str, path: str, body: str | dict, content_type: str = "application/json"):
    data = body if isinstance(body, str) else json.dumps(body)
    return httpx.request(method, f"{fake.url}{path}", content=data, headers={"Content-Type": content_type})


def test_the_fake_rejects_a_bulk_body_without_the_final_newline(fake, index):
    doc = {"org_id": "o", "item_id": "i", "embedding": unit(0)}
    body = json.dumps({"index": {"_index": "lily-test-research"}}) + "\n" + json.dumps(doc)
    answer = raw_call(fake, "POST", "/_bulk", body, "application/x-ndjson")
    assert answer.status_code == 400
    assert "terminated by a newline" in answer.json()["error"]["reason"]


def test_the_fake_rejects_a_malformed_bulk_action_line(fake, index):
    answer = raw_call(fake, "POST", "/_bulk", '{"upsert": {"_index": "lily-test-research"}}\n{}\n')
    assert answer.status_code == 400 and answer.json()["error"]["type"] == "illegal_argument_exception"


def test_the_fake_refuses_vectors_of_the_wrong_dimension_and_custom_ids_per_item(fake, index):
    short = {"org_id": "o", "item_id": "i", "embedding": [1.0] * (DIMENSION - 1)}
    good = {"org_id": "o", "item_id": "j", "embedding": unit(1)}
    body = "".join(json.dumps(x) + "\n" for x in (
        {"index": {"_index": "lily-test-research"}}, short,
        {"index": {"_index": "lily-test-research", "_id": "mine"}}, good,
        {"index": {"_index": "lily-test-research"}}, good,
    ))
    answer = raw_call(fake, "POST", "/_bulk", body, "application/x-ndjson").json()
    assert answer["errors"] is True
    first, second, third = (item["index"] for item in answer["items"])
    assert "dimension mismatch" in first["error"]["reason"].lower()
    assert "Document ID is not supported" in second["error"]["reason"]
    assert third["status"] == 201


def test_the_fake_rejects_malformed_knn_queries(fake, index):
    def search(knn):
        return raw_call(fake, "POST", "/lily-test-research/_search", {"query": {"knn": {"embedding": knn}}})

    assert search({"vector": unit(0), "k": 3, "min_score": 0.5}).status_code == 400  # k xor radial
    assert search({"vector": unit(0)[:-1], "k": 3}).status_code == 400  # wrong dimension
    assert search({"vector": unit(0), "k": 0}).status_code == 400
    assert search({"vector": unit(0), "k": 3, "filter": {"nonsense": {}}}).status_code == 400
    assert search({"vector": unit(0), "k": 3, "filters": {}}).status_code == 400  # unknown parameter
    assert raw_call(fake, "POST", "/lily-test-research/_search",
                    {"query": {"knn": {"org_id": {"vector": unit(0), "k": 1}}}}).status_code == 400
    assert search({"vector": unit(0), "k": 3}).status_code == 200


def test_the_fake_rejects_malformed_mappings(fake):
    def create(name, field):
        body = {"settings": {"index": {"knn": True}}, "mappings": {"properties": {"v": field}}}
        return raw_call(fake, "PUT", f"/{name}", body)

    hnsw = {"name": "hnsw", "engine": "faiss", "space_type": "innerproduct"}
    assert create("a", {"type": "knn_vector", "dimension": "1024", "method": hnsw}).status_code == 400
    assert create("b", {"type": "knn_vector", "dimension": 16001, "method": hnsw}).status_code == 400
    assert create("c", {"type": "knn_vector", "dimension": 8,
                        "method": {**hnsw, "space_type": "hamming"}}).status_code == 400
    assert create("d", {"type": "knn_vector", "dimension": 8, "method": {**hnsw, "name": "ivf"}}).status_code == 400
    assert create("e", {"type": "vector", "dimension": 8}).status_code == 400
    no_knn = raw_call(fake, "PUT", "/f", {"mappings": {"properties": {"v": {"type": "knn_vector", "dimension": 8,
                                                                              "method": hnsw}}}})
    assert no_knn.status_code == 400
    assert create("g", {"type": "knn_vector", "dimension": 8, "method": hnsw}).status_code == 200
