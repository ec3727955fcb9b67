"""The pynamodb models are the schema: the synthesized tables must match ``table_schema()`` exactly."""

from __future__ import annotations

import copy
import importlib
from pathlib import Path

import pytest

from lily.core.db import LilyModel, table_schema
from lily.core.functions import declared_models
from tests.infra.cfn import props, resources


def schema_from_template(resource: dict, prefix: str) -> dict:
    """An ``AWS::DynamoDB::Table`` in the shape of ``lily.core.db.table_schema()``."""
    p = props(resource)

    def keys(key_schema: list[dict]) -> tuple[str | None, str | None]:
        by_type = {k["KeyType"]: k["AttributeName"] for k in key_schema}
        return by_type.get("HASH"), by_type.get("RANGE")

    hash_key, range_key = keys(p["KeySchema"])
    gsis = {}
    for index in [*p.get("GlobalSecondaryIndexes", []), *p.get("LocalSecondaryIndexes", [])]:
        ihash, irange = keys(index["KeySchema"])
        gsis[index["IndexName"]] = {"hash": ihash, "range": irange,
                                    "projection": index["Projection"]["ProjectionType"]}
    ttl = p.get("TimeToLiveSpecification") or {}
    name = p["TableName"]
    assert name.startswith(prefix), name
    return {
        "name": name[len(prefix):],
        "hash": hash_key,
        "range": range_key,
        "attribute_types": {a["AttributeName"]: a["AttributeType"]
                            for a in sorted(p["AttributeDefinitions"], key=lambda a: a["AttributeName"])},
        "gsis": gsis,
        "ttl": ttl.get("AttributeName") if ttl.get("Enabled") else None,
    }


def schema_diff(expected: dict, actual: dict) -> list[str]:
    """Human-readable differences between a model's schema and a table's (empty when equal)."""
    problems = []
    for key in ("name", "hash", "range", "attribute_types", "ttl"):
        if expected.get(key) != actual.get(key):
            problems.append(f"{key}: model {expected.get(key)!r} != template {actual.get(key)!r}")
    want, got = expected.get("gsis", {}), actual.get("gsis", {})
    for name in sorted(set(want) | set(got)):
        if want.get(name) != got.get(name):
            problems.append(f"index {name}: model {want.get(name)!r} != template {got.get(name)!r}")
    return problems


@pytest.fixture(scope="module")
def template_tables(synth) -> dict[str, dict]:
    prefix = synth.config.prefix
    out = {}
    for res in resources(synth.stateful, "AWS::DynamoDB::Table").values():
        schema = schema_from_template(res, prefix)
        out[schema["name"]] = schema
    return out


@pytest.fixture(scope="module")
def model_schemas() -> dict[str, dict]:
    return {table_schema(m)["name"]: table_schema(m) for m in declared_models()}


def _defined_models() -> set[str]:
    """Every table model some ``lily/<capability>/models.py`` defines (the test reads the tree; Lily does not scan)."""
    root = Path(__file__).resolve().parents[2] / "shared"
    found = set()
    for path in sorted(root.glob("lily/*/models.py")):
        module = importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, LilyModel) and value.__module__ == module.__name__
                    and value.Meta.short_name != "_abstract"):
                found.add(value.Meta.short_name)
    return found


def test_every_defined_model_is_named_by_some_function():
    assert _defined_models() == {m.Meta.short_name for m in declared_models()}


def test_every_model_has_exactly_one_table_and_no_table_lacks_a_model(template_tables, model_schemas):
    assert sorted(template_tables) == sorted(model_schemas)


def test_tables_match_the_models_keys_indexes_types_and_ttl(template_tables, model_schemas):
    problems = {name: schema_diff(schema, template_tables.get(name, {})) for name, schema in model_schemas.items()}
    assert {k: v for k, v in problems.items() if v} == {}


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda s: s.update(hash=s["hash"] + "_x"), id="hash-key"),
    pytest.param(lambda s: s.update(range="changed_sort_key"), id="range-key"),
    pytest.param(lambda s: s["attribute_types"].update({s["hash"]: "N" if s["attribute_types"][s["hash"]] != "N"
                                                        else "S"}), id="key-type"),
    pytest.param(lambda s: s.update(ttl="other_ttl" if s["ttl"] else "expires_at"), id="ttl"),
    pytest.param(lambda s: s["gsis"].update(by_new={"hash": "x", "range": None, "projection": "ALL"}), id="new-gsi"),
])
def test_the_comparison_detects_a_changed_model(mutate, template_tables, model_schemas):
    # Given a model schema equal to its table, when a copy of it changes, then the diff is not empty.
    name = "heartbeats" if "heartbeats" in model_schemas else sorted(model_schemas)[0]
    changed = copy.deepcopy(model_schemas[name])
    assert schema_diff(changed, template_tables[name]) == []
    mutate(changed)
    assert schema_diff(changed, template_tables[name]) != []


def test_a_changed_index_projection_is_detected(template_tables, model_schemas):
    with_index = [n for n, s in model_schemas.items() if s["gsis"]]
    if not with_index:
        pytest.skip("no model declares an index yet")
    name = with_index[0]
    changed = copy.deepcopy(model_schemas[name])
    index = next(iter(changed["gsis"]))
    current = changed["gsis"][index]["projection"]
    changed["gsis"][index]["projection"] = "KEYS_ONLY" if current != "KEYS_ONLY" else "ALL"
    assert any(index in p for p in schema_diff(changed, template_tables[name]))


def test_tables_are_on_demand_recoverable_and_encrypted_with_the_storage_key(synth):
    key_ids = {k for k, r in resources(synth.stateful, "AWS::KMS::Key").items()
               if "at-rest" in props(r)["Description"]}
    for logical_id, res in resources(synth.stateful, "AWS::DynamoDB::Table").items():
        p = props(res)
        assert p["BillingMode"] == "PAY_PER_REQUEST", logical_id
        assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, logical_id
        sse = p["SSESpecification"]
        assert sse["SSEEnabled"] is True and sse["SSEType"] == "KMS", logical_id
        assert sse["KMSMasterKeyId"]["Fn::GetAtt"][0] in key_ids, logical_id
