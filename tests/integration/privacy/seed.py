"""Seeding one record of a subject in every table, from the data registry alone: for each table whose rule finds an
organization's (or a person's) records, an item its locate finds, every required attribute filled by type. A table
added tomorrow is seeded, exported and erased by these tests the day its rule is declared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    TTLAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from lily.core.db import LilyModel, ttl_attribute_name, won
from lily.core.retention import Index, Partition, Scan, rule_of


def _filler(attr: Any, tag: str) -> Any:
    now = datetime.now(UTC)
    if isinstance(attr, TTLAttribute):
        return now + timedelta(days=30)
    if isinstance(attr, UTCDateTimeAttribute):
        return now
    if isinstance(attr, BooleanAttribute):
        return False
    if isinstance(attr, NumberAttribute):
        return 1
    if isinstance(attr, JSONAttribute):
        return {"seed": tag}
    if isinstance(attr, ListAttribute):
        return []
    if isinstance(attr, UnicodeSetAttribute):
        return {"seed"}
    if isinstance(attr, NumberSetAttribute):
        return {1}
    if isinstance(attr, MapAttribute):
        return {}
    if isinstance(attr, BinaryAttribute):
        return b"seed"
    return f"seed-{tag}"


def seed_one(model: type[LilyModel], kind: str, subject_id: str, org_id: str, tag: str) -> LilyModel | None:
    """One record of ``model`` that the rule's ``kind`` locate finds for ``subject_id`` (``org_id``: the
    organization it lives in, for a person's records in an organization's table)."""
    rule = rule_of(model)
    locate = rule.org if kind == "org" else rule.user
    if locate is None:
        return None
    values: dict[str, Any] = {}
    attrs = model.get_attributes()
    if isinstance(locate, Partition):
        values[model._hash_keyname] = locate.key(subject_id)
    elif isinstance(locate, Index):
        values[model._indexes[locate.index]._hash_key_attribute().attr_name] = subject_id
    elif isinstance(locate, Scan):
        if locate.prefix:
            values[locate.attribute] = locate.prefix.format(id=subject_id) + f"seed-{tag}"
        elif locate.contains:
            values[locate.attribute] = {"about": subject_id} if isinstance(attrs[locate.attribute], JSONAttribute) \
                else f"seed#{subject_id}#{tag}"
        else:
            values[locate.attribute] = subject_id
    if "org_id" in attrs and "org_id" not in values:
        values["org_id"] = org_id
    if "platform" in attrs and "platform" not in values:
        values["platform"] = "x"  # a platform Lily knows
    for name, attr in attrs.items():
        if name in values:
            continue
        # every required attribute, and every set (what JSON has no type for: the export must still write it)
        if attr.is_hash_key or attr.is_range_key or (not attr.null and attr.default is None) or \
                isinstance(attr, UnicodeSetAttribute | NumberSetAttribute):
            values[name] = _filler(attr, f"{tag}-{kind}")
    ttl = ttl_attribute_name(model)
    if ttl:
        values[ttl] = datetime.now(UTC) + timedelta(days=30)
    hash_value = values.pop(model._hash_keyname)
    range_value = values.pop(model._range_keyname) if model._range_keyname else None
    item = model(hash_value, range_value, **values) if model._range_keyname else model(hash_value, **values)
    # a real record with that key (the person's account, their membership) stands for the subject; a table of one
    # record per organization (its brand profile) keeps the organization's, and the person gets none there
    if not won(lambda: item.save(condition=getattr(model, model._hash_keyname).does_not_exist())):
        existing = model.get(hash_value, range_value) if model._range_keyname else model.get(hash_value)
        if isinstance(locate, Scan) and subject_id not in str(getattr(existing, locate.attribute, "")):
            return None
        return existing
    return item


def seed_subject(models, kind: str, subject_id: str, org_id: str, tag: str) -> dict[str, LilyModel]:
    out = {}
    for model in models:
        item = seed_one(model, kind, subject_id, org_id, tag)
        if item is not None:
            out[model.Meta.short_name] = item
    return out
