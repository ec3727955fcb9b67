"""The providers' own API specifications, as validators: the OpenAI OpenAPI document (``openai/openai-openapi``)
and the OpenSearch API specification (``opensearch-project/opensearch-api-specification``), trimmed copies kept in
``tests/data/`` (``tests/data/README.md`` names the commits).

:func:`openai_request` / :func:`openai_response` give a JSON Schema (2020-12, the dialect of OpenAPI 3.1) validator
for an operation's request body / 200 answer, every ``$ref`` resolved inside the document;
:func:`opensearch_schema` the same for a component of the OpenSearch spec's split files (refs across files
resolved). ``python -m tests.support.provider_specs <openai-repo-dir> <opensearch-repo-dir>`` writes the trimmed
copies again from checkouts of the two repositories: the operations Lily calls and every component they reach.
"""

from __future__ import annotations

import copy
import json
import posixpath
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DATA = Path(__file__).resolve().parents[1] / "data"
OPENAI_FILE = DATA / "openai-openapi.trimmed.json"
OPENSEARCH_DIR = DATA / "opensearch-api-spec"

# The OpenAI operations Lily's adapters call (lily.ai.openai_client, lily.ai.images, lily.ai.check_models).
OPENAI_OPERATIONS = {
    "/chat/completions": ["post"], "/images/generations": ["post"], "/embeddings": ["post"],
    "/moderations": ["post"], "/models": ["get"],
}
# The OpenSearch components the vector adapter's bodies are checked against (file, schema name).
OPENSEARCH_ROOTS = {
    "schemas/indices._common.yaml": ["IndexSettings"],
    "schemas/_common.mapping.yaml": ["TypeMapping", "KnnVectorProperty", "KeywordProperty"],
    "schemas/_core.bulk.yaml": ["OperationContainer", "IndexOperation", "DeleteOperation"],
    "schemas/_common.query_dsl.yaml": ["QueryContainer", "KnnQuery", "BoolQuery"],
    "schemas/_core.search.yaml": ["SourceConfig"],
    "namespaces/indices.yaml": [], "namespaces/_core.yaml": [],
}
OPENSEARCH_REQUEST_BODIES = {"namespaces/indices.yaml": ["indices.create"],
                             "namespaces/_core.yaml": ["bulk", "search", "count"]}


# -- validators --


@cache
def _openai() -> tuple[dict[str, Any], Registry]:
    doc = json.loads(OPENAI_FILE.read_text())
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    return doc, Registry().with_resource("urn:openai", resource)


def _validator(schema: dict[str, Any], base: str, registry: Registry) -> jsonschema.Draft202012Validator:
    del base  # every ref in ``schema`` is absolute; refs inside the documents resolve against their own file
    return jsonschema.Draft202012Validator(schema, registry=registry)


def openai_schema(name: str) -> jsonschema.Draft202012Validator:
    """A validator for ``#/components/schemas/<name>`` of the OpenAI document."""
    _, registry = _openai()
    return _validator({"$ref": f"urn:openai#/components/schemas/{name}"}, "urn:openai", registry)


def _ref_of(content: dict[str, Any]) -> dict[str, Any]:
    schema = content["application/json"]["schema"]
    return {"$ref": "urn:openai" + schema["$ref"]} if "$ref" in schema else schema


def openai_request(path: str, method: str = "post") -> jsonschema.Draft202012Validator:
    doc, registry = _openai()
    return _validator(_ref_of(doc["paths"][path][method]["requestBody"]["content"]), "urn:openai", registry)


def openai_response(path: str, method: str = "post", status: str = "200") -> jsonschema.Draft202012Validator:
    doc, registry = _openai()
    return _validator(_ref_of(doc["paths"][path][method]["responses"][status]["content"]), "urn:openai", registry)


def openai_properties(name: str) -> set[str]:
    """The property names a request schema declares (through ``allOf``): every parameter the API knows."""
    doc, _ = _openai()
    found: set[str] = set()

    def walk(schema: dict[str, Any]) -> None:
        if "$ref" in schema:
            walk(doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
            return
        found.update(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            walk(part)

    walk(doc["components"]["schemas"][name])
    return found


@cache
def _opensearch() -> Registry:
    registry = Registry()
    for file in sorted(OPENSEARCH_DIR.rglob("*.yaml")):
        rel = file.relative_to(OPENSEARCH_DIR).as_posix()
        registry = registry.with_resource(f"file:///spec/{rel}", Resource.from_contents(
            yaml.safe_load(file.read_text()), default_specification=DRAFT202012))
    return registry


def opensearch_schema(file: str, name: str) -> jsonschema.Draft202012Validator:
    """A validator for ``components/schemas/<name>`` of ``spec/<file>``."""
    base = f"file:///spec/{file}"
    return _validator({"$ref": f"{base}#/components/schemas/{name}"}, base, _opensearch())


def opensearch_request_body(file: str, operation: str) -> jsonschema.Draft202012Validator:
    """A validator for the JSON request body of ``operation`` (``components/requestBodies/<operation>``)."""
    base = f"file:///spec/{file}"
    body = _opensearch().contents(base)["components"]["requestBodies"][operation]
    kind = "application/json" if "application/json" in body["content"] else "application/x-ndjson"
    pointer = f"/components/requestBodies/{operation}/content/{kind.replace('/', '~1')}/schema"
    return _validator({"$ref": f"{base}#{pointer}"}, base, _opensearch())


def errors(validator: jsonschema.Draft202012Validator, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
            for e in validator.iter_errors(instance)]


# -- trimming (run by hand when the copies are refreshed) --


def _refs(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.append(node["$ref"])
        for value in node.values():
            out.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_refs(value))
    return out


def _pointer(doc: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        doc = doc[part.replace("~1", "/").replace("~0", "~")]
    return doc


def _put(out: dict[str, Any], pointer: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/")]
    for part in parts[:-1]:
        out = out.setdefault(part, {})
    out[parts[-1]] = value


def trim_openai(repo: Path) -> dict[str, Any]:
    doc = json.loads((repo / "openapi.json").read_text())
    out: dict[str, Any] = {"openapi": doc["openapi"], "info": doc["info"], "paths": {}}
    for path, methods in OPENAI_OPERATIONS.items():
        out["paths"][path] = {m: doc["paths"][path][m] for m in methods}
    todo, seen = _refs(out["paths"]), set()
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        value = _pointer(doc, ref.split("#", 1)[1])
        _put(out, ref.split("#", 1)[1], value)
        todo.extend(_refs(value))
    return out


def trim_opensearch(repo: Path) -> dict[str, dict[str, Any]]:
    spec = repo / "spec"
    files: dict[str, Any] = {}

    def load(rel: str) -> Any:
        if rel not in files:
            files[rel] = yaml.safe_load((spec / rel).read_text())
        return files[rel]

    out: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, str]] = [(f, f"/components/schemas/{n}") for f, names in OPENSEARCH_ROOTS.items()
                                   for n in names]
    todo += [(f, f"/components/requestBodies/{op}") for f, ops in OPENSEARCH_REQUEST_BODIES.items() for op in ops]
    seen: set[tuple[str, str]] = set()
    while todo:
        rel, pointer = todo.pop()
        if (rel, pointer) in seen:
            continue
        seen.add((rel, pointer))
        value = _pointer(load(rel), pointer)
        _put(out.setdefault(rel, {}), pointer, copy.deepcopy(value))
        for ref in _refs(value):
            target, _, frag = ref.partition("#")
            target_rel = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target)) if target else rel
            todo.append((target_rel, frag))
    return out


REDACTED = "banned-image-family"  # Lily's content policy: no name of that family in the tree (lily.images.policy)


def redacted(text: str) -> str:
    """The document with every name of the banned image-model family replaced (its models stay in the enums as
    ``banned-image-family-2`` / ``-3``; no test here sends them)."""
    from lily.images.policy import BANNED

    return BANNED.sub(REDACTED, text)


def main(openai_repo: str, opensearch_repo: str) -> None:
    OPENAI_FILE.write_text(redacted(json.dumps(trim_openai(Path(openai_repo)), indent=1, sort_keys=True)) + "\n")
    for rel, content in trim_opensearch(Path(opensearch_repo)).items():
        target = OPENSEARCH_DIR / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(redacted(yaml.safe_dump(content, sort_keys=True, width=120)))


if __name__ == "__main__":
    main(*sys.argv[1:3])
