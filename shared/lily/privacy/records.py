"""Finding, reading, deleting and anonymising a subject's records in any table, as its data rule says
(``lily.core.retention``). The export and erasure jobs use nothing else to reach a table, so a table joins both the
day its model declares its rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lily.core.db import LilyModel, is_live, ttl_attribute_name, won
from lily.core.retention import Anonymise, DataRule, Export, Index, Locate, Partition, Scan, rule_of


def rule(model: type[LilyModel]) -> DataRule:
    found = rule_of(model)
    if found is None:  # the registry test keeps this from ever happening in a deployment
        raise ValueError(f"table {model.Meta.short_name} declares no data rule")
    return found


def find(model: type[LilyModel], locate: Locate, subject_id: str) -> Iterator[LilyModel]:
    """Every record of ``model`` that ``locate`` finds for ``subject_id`` (expired TTL items included: an erasure
    removes them too; the export leaves them out with :func:`live`)."""
    if isinstance(locate, Partition):
        yield from model.query(locate.key(subject_id), consistent_read=True)
    elif isinstance(locate, Index):
        yield from model._indexes[locate.index].query(subject_id)
    elif isinstance(locate, Scan):
        attribute = getattr(model, locate.attribute)
        if locate.prefix:
            condition = attribute.startswith(locate.prefix.format(id=subject_id))
        elif locate.contains:
            condition = attribute.contains(subject_id)
        else:
            condition = attribute == subject_id
        yield from model.scan(condition, consistent_read=True)
    else:  # pragma: no cover - the Locate union is closed
        raise TypeError(f"unknown locate {locate!r}")


def live(model: type[LilyModel], item: LilyModel) -> bool:
    ttl = ttl_attribute_name(model)
    return True if ttl is None else is_live(item, ttl)


def exported(model: type[LilyModel], item: LilyModel, export: Export, omit: tuple[str, ...] = ()) -> dict[str, Any]:
    """The record as JSON-ready data, without the attributes the rule (and the caller) leave out."""
    data = item.to_simple_dict(force=True)  # sets as lists, binary as base64
    for name in (*export.omit, *omit):
        data.pop(name, None)
    return data


def delete(model: type[LilyModel], items: list[LilyModel]) -> int:
    """Delete ``items`` (batched; deleting one already gone is a no-op)."""
    unique = {(getattr(i, model._hash_keyname), getattr(i, model._range_keyname) if model._range_keyname else None): i
              for i in items}  # a batch may not name one key twice
    if not unique:
        return 0
    with model.batch_write() as batch:
        for item in unique.values():
            batch.delete(item)
    return len(unique)


def anonymise(model: type[LilyModel], item: LilyModel, rule: Anonymise, person: set[str]) -> bool:
    """Remove from one record that stays the attributes of ``rule`` that hold one of ``person``'s values (their id,
    their address), and those linked to them (only if the record still exists: never re-create it)."""
    linked = dict(rule.linked)
    present: list[str] = []
    for a in rule.attributes:
        if getattr(item, a, None) is not None and str(getattr(item, a)) in person:
            present += [a, *(x for x in linked.get(a, ()) if getattr(item, x, None) is not None)]
    if not present:
        return False
    key = getattr(model, model._hash_keyname)
    return won(lambda: item.update(actions=[getattr(model, a).remove() for a in present], condition=key.exists()))
