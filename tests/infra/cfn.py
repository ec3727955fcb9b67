"""Small helpers for reading synthesized CloudFormation templates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def resources(template: dict, type_: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def props(resource: dict) -> dict:
    return resource.get("Properties", {})


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def ref_id(value: Any) -> str | None:
    """The logical id behind ``{"Ref": id}`` or ``{"Fn::GetAtt": [id, attr]}``."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def resolve_import(templates: dict[str, dict], value: Any) -> tuple[str, str] | None:
    """``{"Fn::ImportValue": name}`` -> (stack name, logical id of the exported resource)."""
    if not (isinstance(value, dict) and "Fn::ImportValue" in value):
        return None
    name = value["Fn::ImportValue"]
    for stack, template in templates.items():
        for output in template.get("Outputs", {}).values():
            if output.get("Export", {}).get("Name") == name:
                target = ref_id(output["Value"])
                if target:
                    return stack, target
    raise AssertionError(f"no stack exports {name!r}")


def functions_by_name(template: dict) -> dict[str, tuple[str, dict]]:
    """Physical function name -> (logical id, resource)."""
    out = {}
    for logical_id, res in resources(template, "AWS::Lambda::Function").items():
        out[props(res)["FunctionName"]] = (logical_id, res)
    return out


def role_policies(template: dict, role_id: str) -> dict[str, dict]:
    """Every AWS::IAM::Policy attached to role ``role_id``."""
    return {k: r for k, r in resources(template, "AWS::IAM::Policy").items()
            if {"Ref": role_id} in props(r).get("Roles", [])}


def statements(template: dict) -> Iterator[tuple[str, dict, dict]]:
    """(logical id, resource, statement) for every IAM statement of every policy and role."""
    for logical_id, res in template["Resources"].items():
        p = props(res)
        documents = []
        if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(p["PolicyDocument"])
        if res["Type"] == "AWS::IAM::Role":
            documents += [inline["PolicyDocument"] for inline in p.get("Policies", [])]
        for document in documents:
            for statement in as_list(document["Statement"]):
                yield logical_id, res, statement


def nag_acknowledgments(resource: dict) -> dict[str, str]:
    """cdk-nag acknowledgments written into the resource's metadata: rule id -> reason."""
    rules = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    return {r["id"]: r.get("reason", "") for r in rules}


def invoked_function(template: dict, value: Any) -> str | None:
    """The logical id of the function a trigger invokes, through its alias (``live``) when it targets one.

    ``value`` is a Ref/GetAtt, or an expression around one (an event source mapping names ``<function>:live``).
    """
    target = invoked_target(template, value)
    resource = template["Resources"].get(target or "", {})
    if resource.get("Type") == "AWS::Lambda::Alias":
        return ref_id(props(resource)["FunctionName"])
    return target


def invoked_target(template: dict, value: Any) -> str | None:
    """The logical id of the function or alias referenced in ``value``."""
    direct = ref_id(value)
    if direct is not None:
        kind = template["Resources"].get(direct, {}).get("Type")
        return direct if kind in ("AWS::Lambda::Function", "AWS::Lambda::Alias") else None
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for child in children:
        found = invoked_target(template, child)
        if found:
            return found
    return None
