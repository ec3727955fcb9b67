"""OpenSearch k-NN adapter of the vector index port (Amazon OpenSearch Serverless or Service).

One index per deployment: a ``knn_vector`` field (HNSW, faiss engine, inner product over
L2-normalised vectors, i.e. cosine similarity) and keyword fields ``org_id``, ``item_id`` and
``industry`` used as *efficient filters* inside the k-NN query (the engine filters while it walks the
graph, so an org's top-k is never cut short by other orgs' vectors). The embedding model and dimension
are recorded in the mapping's ``_meta`` when the index is created.

Written for Serverless *vector search* collections, which assign document ids themselves and accept
no ``refresh`` parameter: documents carry ``org_id``/``item_id`` as fields. Only operations the Serverless
"Supported OpenSearch API operations" table lists are used (``PUT``/``HEAD``/``DELETE <index>``,
``GET <index>/_mapping``, ``_bulk`` index and delete-by-id actions, ``_search``, ``_count``); no
``_delete_by_query``. An upsert finds the items' previous documents with a filtered ``_search`` (ids only),
then deletes them by id and indexes the new ones with ``_bulk``. Writes become visible to search after the
engine's refresh interval (a document replaced within one may briefly appear twice: search keeps the best).

Client errors become ``LilyError(EXTERNAL_003)``, retryable unless OpenSearch refused the request (4xx).

Scores: faiss ``innerproduct`` reports ``1 + dot`` for a positive dot product and ``1 / (1 - dot)``
otherwise (OpenSearch k-NN "Spaces"); the adapter converts both ways so the port speaks cosine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from lily.core.errors import ErrorCode, LilyError
from lily.research.vectors.ports import (
    IndexInfo,
    IndexMismatchError,
    VectorHit,
    VectorRecord,
    check_query,
    latest,
    normalized,
)

VECTOR_FIELD = "embedding"
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 128
BULK_CHUNK = 200  # documents per _bulk request (1024-d floats as JSON: about 2.5 MB)
DELETE_PAGE = 1000  # document ids one filtered _search returns for deletion (under max_result_window, 10,000)


def to_engine_score(cosine: float) -> float:
    """The OpenSearch score of a faiss inner product (vectors normalised: the cosine)."""
    return 1.0 + cosine if cosine > 0 else 1.0 / (1.0 - cosine)


def from_engine_score(score: float) -> float:
    return score - 1.0 if score > 1.0 else 1.0 - 1.0 / score


def index_body(info: IndexInfo) -> dict[str, Any]:
    """Settings and mapping of a research vector index."""
    return {
        "settings": {"index": {"knn": True}},
        "mappings": {
            "_meta": {"lily": {"model": info.model, "dimension": info.dimension}},
            "properties": {
                VECTOR_FIELD: {
                    "type": "knn_vector",
                    "dimension": info.dimension,
                    "method": {
                        "name": "hnsw",
                        "engine": "faiss",
                        "space_type": "innerproduct",
                        "parameters": {"m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION},
                    },
                },
                "org_id": {"type": "keyword"},
                "item_id": {"type": "keyword"},
                "industry": {"type": "keyword"},
            },
        },
    }


def _org_filter(org_id: str, item_ids: Sequence[str] | None = None, industry: str | None = None) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [{"term": {"org_id": org_id}}]
    if item_ids is not None:
        clauses.append({"terms": {"item_id": list(item_ids)}})
    if industry is not None:
        clauses.append({"term": {"industry": industry}})
    return {"bool": {"filter": clauses}}


def search_body(org_id: str, vector: list[float], k: int, min_score: float, industry: str | None) -> dict[str, Any]:
    return {
        "size": k,
        "min_score": to_engine_score(min_score),
        "_source": ["item_id"],
        "query": {"knn": {VECTOR_FIELD: {"vector": vector, "k": k, "filter": _org_filter(org_id, industry=industry)}}},
    }


def recorded_info(mapping: dict[str, Any]) -> IndexInfo:
    """Model and dimension from an index's mapping (``GET <index>/_mapping`` → ``[index]["mappings"]``)."""
    field = mapping.get("properties", {}).get(VECTOR_FIELD, {})
    meta = mapping.get("_meta", {}).get("lily", {})
    return IndexInfo(model=str(meta.get("model", "(not recorded)")), dimension=int(field.get("dimension", 0)))


def opensearch_client(
    endpoint: str, *, region: str, auth: str = "sigv4", service: str = "aoss", timeout_s: float = 10.0
) -> Any:
    """An ``opensearch-py`` client; ``auth="sigv4"`` signs with the function's AWS credentials."""
    from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection

    url = urlsplit(endpoint)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"OpenSearch endpoint must be an http(s) URL, got {endpoint!r}")
    https = url.scheme == "https"
    http_auth = None
    if auth == "sigv4":
        from lily.core.aws import botocore_session

        http_auth = AWSV4SignerAuth(botocore_session().get_credentials(), region, service)
    return OpenSearch(
        hosts=[{"host": url.hostname, "port": url.port or (443 if https else 80)}],
        http_auth=http_auth,
        use_ssl=https,
        verify_certs=https,
        connection_class=RequestsHttpConnection,
        timeout=timeout_s,
        max_retries=3,
        retry_on_timeout=True,
        retry_on_status=(429, 502, 503, 504),
    )


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """OpenSearch client errors become one domain error (retryable when the cluster is the cause)."""
    from opensearchpy.exceptions import OpenSearchException, TransportError

    try:
        yield
    except OpenSearchException as exc:
        status = exc.status_code if isinstance(exc, TransportError) else None
        retryable = not isinstance(status, int) or status == 429 or status >= 500
        raise LilyError(ErrorCode.EXTERNAL_003, f"vector store: {action} failed",
                        {"status": status, "error": type(exc).__name__}, retryable=retryable) from exc


class OpenSearchVectorIndex:
    """The vector index port on an OpenSearch k-NN index."""

    def __init__(self, client: Any, index: str, info: IndexInfo) -> None:
        self.client = client
        self.index = index
        self._info = info

    @property
    def info(self) -> IndexInfo:
        return self._info

    def open(self) -> None:
        from opensearchpy.exceptions import RequestError

        with _translated("open"):
            if not self.client.indices.exists(index=self.index):
                try:
                    self.client.indices.create(index=self.index, body=index_body(self._info))
                except RequestError as exc:  # created meanwhile by another function: check what it holds
                    if exc.error != "resource_already_exists_exception":
                        raise
            mapping = self.client.indices.get_mapping(index=self.index)[self.index]["mappings"]
        recorded = recorded_info(mapping)
        if recorded != self._info:
            raise IndexMismatchError(self.index, recorded, self._info)

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        from opensearchpy import helpers

        records = latest(records)
        docs = [
            {"org_id": r.org_id, "item_id": r.item_id, "industry": r.industry,
             VECTOR_FIELD: normalized(r.vector, self._info.dimension)}
            for r in records
        ]
        by_org: dict[str, list[str]] = {}
        for r in records:
            by_org.setdefault(r.org_id, []).append(r.item_id)
        for org_id, item_ids in by_org.items():
            self.delete(org_id, item_ids)
        actions = ({"_op_type": "index", "_index": self.index, "_source": doc} for doc in docs)
        with _translated("upsert"):
            helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, raise_on_error=True, stats_only=True)

    def delete(self, org_id: str, item_ids: Sequence[str]) -> None:
        if item_ids:
            self._delete_where(_org_filter(org_id, item_ids=sorted(set(item_ids))))

    def delete_org(self, org_id: str) -> None:
        self._delete_where(_org_filter(org_id))

    def _delete_where(self, query: dict[str, Any]) -> None:
        """Delete the documents ``query`` matches: their ids from a filtered search, then ``_bulk`` deletes by id,
        page after page until a search shows no document not deleted yet (deleted ones stay visible until the
        next refresh)."""
        from opensearchpy import helpers

        deleted: set[str] = set()
        while True:
            with _translated("delete"):
                hits = self.client.search(index=self.index, body={"size": DELETE_PAGE, "_source": False,
                                                                  "query": query})["hits"]["hits"]
            ids = [h["_id"] for h in hits if h["_id"] not in deleted]
            if not ids:
                return
            deleted.update(ids)
            actions = ({"_op_type": "delete", "_index": self.index, "_id": doc_id} for doc_id in ids)
            with _translated("delete"):  # a 404: already gone (deleted meanwhile by another writer)
                helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, raise_on_error=True, stats_only=True,
                             ignore_status=(404,))

    def search(
        self, org_id: str, vector: Sequence[float], k: int, min_score: float = 0.0, industry: str | None = None
    ) -> list[VectorHit]:
        check_query(k, min_score)
        body = search_body(org_id, normalized(vector, self._info.dimension), k, min_score, industry)
        with _translated("search"):
            hits = self.client.search(index=self.index, body=body)["hits"]["hits"]
        best: dict[str, float] = {}
        for hit in hits:  # an item replaced within one refresh interval may briefly appear twice
            item, score = hit["_source"]["item_id"], from_engine_score(float(hit["_score"]))
            best[item] = max(score, best.get(item, -1.0))
        return [VectorHit(item, score) for item, score in sorted(best.items(), key=lambda kv: -kv[1])]

    def count(self, org_id: str) -> int:
        with _translated("count"):
            return int(self.client.count(index=self.index, body={"query": _org_filter(org_id)})["count"])

    def drop(self) -> None:
        with _translated("drop"):
            self.client.indices.delete(index=self.index, params={"ignore_unavailable": "true"})
