"""A small fake OpenSearch (k-NN) HTTP server for tests: checks request bodies, answers with exact search.

It speaks the part of the REST API the vector index adapter uses, and refuses what a real cluster
(Amazon OpenSearch Serverless *vector search* collection by default) refuses, with OpenSearch's error
body ``{"error": {"root_cause", "type", "reason"}, "status"}``:

- ``PUT /<index>``: settings and a mapping; a ``knn_vector`` field needs ``index.knn: true``, an integer
  ``dimension`` (1..16000) and, if given, an HNSW ``method`` whose engine supports its space type.
- ``POST [/<index>]/_bulk``: NDJSON (one action line, then a source line for index/create), ending with a
  newline; each source is checked against the mapping (vector length = dimension, keywords are strings).
  With ``server_ids`` (Serverless vector collections) an ``_id`` in an index/create action is refused.
- ``POST /<index>/_search``: a ``knn`` query (``vector`` of the field's dimension, ``k``, an optional
  ``filter`` applied while searching, ``k`` exclusive with radial ``min_score``/``max_distance``), a
  top-level ``size``, ``min_score``, ``_source``. Answers with exact k-NN over the filtered documents,
  scored as the field's space type scores (OpenSearch k-NN "Spaces").
- ``POST /<index>/_count``, ``GET /<index>/_mapping``, ``HEAD|DELETE /<index>``.
- ``POST /<index>/_delete_by_query`` is refused: Lily's vector collections use only the operations the
  Serverless documentation lists for them (deletes are ``_bulk`` delete actions by id).

Before its own checks, every body is held to the OpenSearch API specification
(``opensearch-project/opensearch-api-specification``, the trimmed copy in ``tests/data/opensearch-api-spec``):
``indices.create``, each ``_bulk`` line (``OperationContainer`` for an action line), ``search`` and ``count``
request bodies. A body the specification refuses is a 400 ``x_content_parse_exception`` naming the first error.

Tests read ``server.state.requests`` (method, path, parsed body) and ``server.state.headers`` to check
what an adapter sent.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lily.local.serve import ThreadedServer
from tests.support import provider_specs

MAX_DIMENSION = 16000
ENGINE_SPACES = {
    "faiss": {"l2", "innerproduct", "cosinesimil"},
    "lucene": {"l2", "innerproduct", "cosinesimil"},
    "nmslib": {"l2", "innerproduct", "cosinesimil", "l1", "linf"},
}
FIELD_TYPES = {"knn_vector", "keyword", "text", "integer", "long", "float", "double", "boolean", "date", "object"}
KNN_METHOD_KEYS = {"name", "engine", "space_type", "parameters"}
HNSW_PARAMETERS = {"m", "ef_construction", "ef_search", "encoder"}
KNN_QUERY_KEYS = {"vector", "k", "filter", "min_score", "max_distance", "method_parameters", "rescore", "boost",
                  "expand_nested_docs"}
SEARCH_KEYS = {"size", "from", "min_score", "_source", "query", "track_total_hits"}
BULK_ACTIONS = {"index", "create", "delete", "update"}


class OpenSearchError(Exception):
    def __init__(self, status: int, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.kind, self.reason = status, kind, reason

    def response(self) -> JSONResponse:
        cause = {"type": self.kind, "reason": self.reason}
        return JSONResponse({"error": {"root_cause": [cause], **cause}, "status": self.status}, self.status)


def bad(reason: str, kind: str = "parsing_exception") -> OpenSearchError:
    return OpenSearchError(400, kind, reason)


@dataclass
class FakeIndex:
    settings: dict[str, Any]
    mappings: dict[str, Any]
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def properties(self) -> dict[str, Any]:
        return self.mappings.get("properties", {})


@dataclass
class FakeState:
    server_ids: bool = True
    indices: dict[str, FakeIndex] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: itertools.count = field(default_factory=itertools.count)

    def reset(self) -> None:
        with self.lock:
            self.indices.clear()
            self.requests.clear()
            self.headers.clear()

    def index(self, name: str) -> FakeIndex:
        if name not in self.indices:
            raise OpenSearchError(404, "index_not_found_exception", f"no such index [{name}]")
        return self.indices[name]


# -- validation --


def spec_check(what: str, instance: Any, file: str, operation: str | None = None, schema: str | None = None) -> None:
    """Refuse ``instance`` when the OpenSearch API specification does (its request body, or one component)."""
    validator = (provider_specs.opensearch_request_body(file, operation) if operation
                 else provider_specs.opensearch_schema(file, str(schema)))
    problems = provider_specs.errors(validator, instance)
    if problems:
        raise bad(f"{what}: {problems[0]}", "x_content_parse_exception")


def check_create(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    unknown = set(body) - {"settings", "mappings", "aliases"}
    if unknown:
        raise bad(f"unknown key [{sorted(unknown)[0]}] for create index", "parse_exception")
    settings = body.get("settings", {})
    mappings = body.get("mappings", {})
    if not isinstance(settings, dict) or not isinstance(mappings, dict):
        raise bad("settings and mappings must be objects", "mapper_parsing_exception")
    unknown = set(mappings) - {"properties", "_meta", "dynamic", "_source"}
    if unknown:
        raise bad(f"Root mapping definition has unsupported parameters: [{sorted(unknown)[0]}]",
                  "mapper_parsing_exception")
    knn_enabled = (settings.get("index", {}).get("knn") is True) or settings.get("index.knn") is True
    for name, spec in mappings.get("properties", {}).items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in FIELD_TYPES:
            raise bad(f"No handler for type [{kind}] declared on field [{name}]", "mapper_parsing_exception")
        if kind == "knn_vector":
            check_knn_field(name, spec, knn_enabled)
    return settings, mappings


def check_knn_field(name: str, spec: dict[str, Any], knn_enabled: bool) -> None:
    dimension = spec.get("dimension")
    if not isinstance(dimension, int) or isinstance(dimension, bool) or not 1 <= dimension <= MAX_DIMENSION:
        raise bad(f"[dimension] on field [{name}] must be an integer in [1, {MAX_DIMENSION}]",
                  "mapper_parsing_exception")
    unknown = set(spec) - {"type", "dimension", "method", "space_type", "data_type", "mode", "compression_level"}
    if unknown:
        raise bad(f"unknown parameter [{sorted(unknown)[0]}] on knn_vector field [{name}]", "mapper_parsing_exception")
    method = spec.get("method")
    if method is None:
        return
    if not knn_enabled:
        raise bad(f"field [{name}]: a k-NN method needs index.knn: true", "mapper_parsing_exception")
    if set(method) - KNN_METHOD_KEYS or method.get("name") != "hnsw":
        raise bad(f"field [{name}]: method must be hnsw with keys {sorted(KNN_METHOD_KEYS)}",
                  "mapper_parsing_exception")
    engine, space = method.get("engine", "faiss"), method.get("space_type", spec.get("space_type", "l2"))
    if space not in ENGINE_SPACES.get(engine, set()):
        raise bad(f"field [{name}]: engine [{engine}] does not support space [{space}]", "mapper_parsing_exception")
    params = method.get("parameters", {})
    if set(params) - HNSW_PARAMETERS or any(not isinstance(params[p], int) or params[p] < 2
                                            for p in params if p != "encoder"):
        raise bad(f"field [{name}]: invalid hnsw parameters {params}", "mapper_parsing_exception")


def space_of(spec: dict[str, Any]) -> str:
    return spec.get("method", {}).get("space_type", spec.get("space_type", "l2"))


def check_vector(value: Any, dimension: int, where: str) -> list[float]:
    if not isinstance(value, list) or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
        raise bad(f"{where}: a vector must be an array of numbers", "mapper_parsing_exception")
    if len(value) != dimension:
        raise bad(f"{where}: Vector dimension mismatch. Expected: {dimension}, Given: {len(value)}",
                  "mapper_parsing_exception")
    if not all(math.isfinite(x) for x in value):
        raise bad(f"{where}: a vector must be finite", "mapper_parsing_exception")
    return [float(x) for x in value]


def check_document(index: FakeIndex, doc: Any) -> None:
    if not isinstance(doc, dict):
        raise bad("a document source must be a JSON object", "mapper_parsing_exception")
    for name, value in doc.items():
        spec = index.properties.get(name)
        if spec is None:
            continue  # dynamic mapping
        if spec["type"] == "knn_vector":
            check_vector(value, spec["dimension"], f"field [{name}]")
        elif spec["type"] == "keyword" and not isinstance(value, str):
            raise bad(f"failed to parse field [{name}] of type [keyword]", "mapper_parsing_exception")


# -- filters and scoring --


def clause(query: Any) -> tuple[str, Any]:
    if not isinstance(query, dict) or len(query) != 1:
        raise bad("a query clause must be an object with exactly one key")
    (kind, body), = query.items()
    return kind, body


def check_query(query: Any) -> None:
    """Refuse a query the fake (and OpenSearch) cannot parse, before any document is looked at."""
    kind, body = clause(query)
    if kind == "match_all":
        return
    if kind in ("term", "terms"):
        if not isinstance(body, dict) or len(body) != 1:
            raise bad(f"[{kind}] query must name exactly one field")
        (_, value), = body.items()
        if kind == "terms" and not isinstance(value, list):
            raise bad("[terms] query needs an array of values")
        return
    if kind == "bool":
        unknown = set(body) - {"filter", "must", "should", "must_not", "minimum_should_match"}
        if unknown:
            raise bad(f"[bool] query does not support [{sorted(unknown)[0]}]")
        for key in ("filter", "must", "should", "must_not"):
            value = body.get(key, [])
            for sub in value if isinstance(value, list) else [value]:
                check_query(sub)
        return
    raise bad(f"unknown query [{kind}]", "parsing_exception")


def matches(query: dict[str, Any], doc: dict[str, Any]) -> bool:
    """Whether ``doc`` matches ``query`` (checked by :func:`check_query`)."""
    kind, body = clause(query)
    if kind == "match_all":
        return True
    if kind in ("term", "terms"):
        (fname, value), = body.items()
        if kind == "terms":
            return doc.get(fname) in value
        return doc.get(fname) == (value.get("value") if isinstance(value, dict) else value)

    def clauses(key: str) -> list[dict[str, Any]]:
        value = body.get(key, [])
        return value if isinstance(value, list) else [value]

    if not all(matches(c, doc) for c in clauses("filter") + clauses("must")):
        return False
    if any(matches(c, doc) for c in clauses("must_not")):
        return False
    should = clauses("should")
    return not should or any(matches(c, doc) for c in should)


def knn_score(space: str, a: list[float], b: list[float]) -> float:
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    if space == "innerproduct":
        d = -dot
        return 1.0 / (1.0 + d) if d >= 0 else -d + 1.0
    if space == "cosinesimil":
        norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
        return (2.0 - (1.0 - dot / norm)) / 2.0
    return 1.0 / (1.0 + math.fsum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


# -- the app --


def create_app(state: FakeState) -> FastAPI:
    app = FastAPI()

    async def body_of(request: Request) -> Any:
        raw = await request.body()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise bad(f"request body is not JSON: {exc}", "parse_exception") from None

    @app.exception_handler(OpenSearchError)
    async def errors(request: Request, exc: OpenSearchError):
        return exc.response()

    def record(request: Request, body: Any) -> None:
        with state.lock:
            state.requests.append((request.method, request.url.path, body))
            state.headers.append(dict(request.headers))

    @app.head("/{index}")
    async def exists(index: str, request: Request):
        record(request, None)
        return Response(status_code=200 if index in state.indices else 404)

    @app.put("/{index}")
    async def create(index: str, request: Request):
        body = await body_of(request) or {}
        record(request, body)
        spec_check("create index", body, "namespaces/indices.yaml", "indices.create")
        settings, mappings = check_create(body)
        with state.lock:
            if index in state.indices:
                raise bad(f"index [{index}] already exists", "resource_already_exists_exception")
            state.indices[index] = FakeIndex(settings, mappings)
        return {"acknowledged": True, "shards_acknowledged": True, "index": index}

    @app.delete("/{index}")
    async def delete_index(index: str, request: Request):
        record(request, None)
        with state.lock:
            if index not in state.indices and request.query_params.get("ignore_unavailable") != "true":
                state.index(index)
            state.indices.pop(index, None)
        return {"acknowledged": True}

    @app.get("/{index}/_mapping")
    async def mapping(index: str, request: Request):
        record(request, None)
        return {index: {"mappings": state.index(index).mappings}}

    @app.post("/_bulk")
    @app.post("/{index}/_bulk")
    async def bulk(request: Request, index: str | None = None):
        raw = (await request.body()).decode()
        record(request, raw)
        if not raw.endswith("\n"):
            raise bad("The bulk request must be terminated by a newline [\\n]", "illegal_argument_exception")
        lines = raw.split("\n")[:-1]
        items, errors, i = [], False, 0
        with state.lock:
            while i < len(lines):
                try:
                    action = json.loads(lines[i])
                except ValueError:
                    raise bad(f"Malformed action/metadata line [{i + 1}]: not JSON",
                              "illegal_argument_exception") from None
                if not isinstance(action, dict) or len(action) != 1 or next(iter(action)) not in BULK_ACTIONS:
                    raise bad(f"Malformed action/metadata line [{i + 1}], expected one of {sorted(BULK_ACTIONS)}",
                              "illegal_argument_exception")
                spec_check(f"line [{i + 1}]", action, "schemas/_core.bulk.yaml", schema="OperationContainer")
                (op, meta), = action.items()
                target = meta.get("_index", index)
                if target is None:
                    raise bad(f"line [{i + 1}]: no index given", "action_request_validation_exception")
                source = None
                if op != "delete":
                    i += 1
                    if i >= len(lines):
                        raise bad(f"line [{i}]: {op} action without a source line", "illegal_argument_exception")
                    try:
                        source = json.loads(lines[i])
                    except ValueError:
                        raise bad(f"line [{i + 1}]: source is not JSON", "illegal_argument_exception") from None
                i += 1
                item = bulk_item(state, op, target, meta, source)
                errors |= "error" in item
                items.append({op: item})
        return {"took": 1, "errors": errors, "items": items}

    @app.post("/{index}/_search")
    @app.get("/{index}/_search")
    async def search(index: str, request: Request):
        body = await body_of(request) or {}
        record(request, body)
        spec_check("search", body, "namespaces/_core.yaml", "search")
        with state.lock:
            return run_search(state.index(index), index, body)

    @app.post("/{index}/_count")
    @app.get("/{index}/_count")
    async def count(index: str, request: Request):
        body = await body_of(request) or {}
        record(request, body)
        spec_check("count", body, "namespaces/_core.yaml", "count")
        with state.lock:
            docs = state.index(index).docs.values()
            query = body.get("query", {"match_all": {}})
            check_query(query)
            return {"count": sum(1 for d in docs if matches(query, d)), "_shards": _SHARDS}

    @app.post("/{index}/_delete_by_query")
    async def delete_by_query(index: str, request: Request):
        record(request, await body_of(request))
        raise OpenSearchError(404, "unsupported_operation_exception",
                              "_delete_by_query is not an operation this vector search collection serves")

    return app


_SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}


def bulk_item(state: FakeState, op: str, target: str, meta: dict[str, Any], source: Any) -> dict[str, Any]:
    def failed(status: int, kind: str, reason: str) -> dict[str, Any]:
        return {"_index": target, "status": status, "error": {"type": kind, "reason": reason}}

    if target not in state.indices:
        return failed(404, "index_not_found_exception", f"no such index [{target}]")
    index = state.indices[target]
    doc_id = meta.get("_id")
    if op in ("index", "create"):
        if doc_id is not None and state.server_ids:
            return failed(400, "illegal_argument_exception",
                          "Document ID is not supported in create/index operation request")
        try:
            check_document(index, source)
        except OpenSearchError as exc:
            return failed(400, exc.kind, exc.reason)
        doc_id = doc_id or f"fake{next(state.ids)}"
        created = doc_id not in index.docs
        index.docs[doc_id] = source
        return {"_index": target, "_id": doc_id, "status": 201 if created else 200,
                "result": "created" if created else "updated"}
    if op == "delete":
        if doc_id is None:
            return failed(400, "action_request_validation_exception", "id is missing")
        found = index.docs.pop(doc_id, None) is not None
        return {"_index": target, "_id": doc_id, "status": 200 if found else 404,
                "result": "deleted" if found else "not_found"}
    return failed(400, "illegal_argument_exception", f"the fake does not implement [{op}]")


def run_search(index: FakeIndex, name: str, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - SEARCH_KEYS
    if unknown:
        raise bad(f"Unknown key for a START_OBJECT in [{sorted(unknown)[0]}].")
    size = body.get("size", 10)
    if not isinstance(size, int) or size < 0:
        raise bad("[size] must be a non-negative integer")
    query = body.get("query", {"match_all": {}})
    if "knn" in query:
        if len(query) != 1:
            raise bad("a query clause must be an object with exactly one key")
        scored = knn_search(index, query["knn"])
    else:
        check_query(query)
        scored = [(doc_id, 1.0) for doc_id, doc in index.docs.items() if matches(query, doc)]
    floor = body.get("min_score")
    if floor is not None:
        if not isinstance(floor, int | float):
            raise bad("[min_score] must be a number")
        scored = [(doc_id, s) for doc_id, s in scored if s >= floor]
    scored.sort(key=lambda pair: -pair[1])
    wanted = body.get("_source", True)
    hits = []
    for doc_id, score in scored[:size]:
        doc = index.docs[doc_id]
        source = doc if wanted is True else {k: v for k, v in doc.items() if isinstance(wanted, list) and k in wanted}
        hits.append({"_index": name, "_id": doc_id, "_score": score, "_source": source})
    return {
        "took": 1, "timed_out": False, "_shards": _SHARDS,
        "hits": {"total": {"value": len(scored), "relation": "eq"},
                 "max_score": hits[0]["_score"] if hits else None, "hits": hits},
    }


def knn_search(index: FakeIndex, knn: Any) -> list[tuple[str, float]]:
    if not isinstance(knn, dict) or len(knn) != 1:
        raise bad("[knn] query must name exactly one field")
    (fname, spec), = knn.items()
    mapping = index.properties.get(fname)
    if mapping is None or mapping.get("type") != "knn_vector":
        raise bad(f"Field '{fname}' is not knn_vector type.", "illegal_argument_exception")
    if not isinstance(spec, dict) or set(spec) - KNN_QUERY_KEYS:
        raise bad(f"[knn] unknown parameter [{sorted(set(spec) - KNN_QUERY_KEYS)[0]}]")
    vector = check_vector(spec.get("vector"), mapping["dimension"], f"[knn] query on [{fname}]")
    radial = [key for key in ("min_score", "max_distance") if key in spec]
    k = spec.get("k")
    if (k is None) == (not radial) or len(radial) > 1:
        raise bad("[knn] requires exactly one of [k], [max_distance] or [min_score]")
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 10000):
        raise bad("[knn] [k] must be an integer in [1, 10000]")
    filt = spec.get("filter")
    if filt is not None:
        check_query(filt)
    space = space_of(mapping)
    scored = []
    for doc_id, doc in index.docs.items():
        if fname in doc and (filt is None or matches(filt, doc)):
            scored.append((doc_id, knn_score(space, vector, doc[fname])))
    scored.sort(key=lambda pair: -pair[1])
    if k is not None:
        return scored[:k]
    if "max_distance" in spec:
        raise bad("the fake does not implement radial search by [max_distance]", "illegal_argument_exception")
    return [(d, s) for d, s in scored if s >= spec["min_score"]]


class FakeOpenSearch:
    """The fake served on a free loopback port; ``url`` for the client, ``state`` for assertions."""

    def __init__(self, server_ids: bool = True) -> None:
        self.state = FakeState(server_ids=server_ids)
        self.server = ThreadedServer(create_app(self.state))

    @property
    def url(self) -> str:
        return self.server.base_url

    def start(self) -> FakeOpenSearch:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
