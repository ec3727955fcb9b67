"""The data registry: every table says, next to its model, how long its records live, whose they are, how they are
exported and how they are erased.

Each model's ``Meta`` carries a :class:`DataRule`::

    class Post(LilyModel):
        class Meta(TableMeta):
            short_name = "posts"
            data = DataRule(
                retention="while the organization exists",
                org=Partition(),                      # the org's records: hash key = org id
                user=Scan("created_by"),              # a person's records in it: created_by = user id
                export=Export(),                      # every attribute
                erase=Erase.DELETE, on_user_erased=Anonymise(("created_by",)),
            )

- **whose** records: ``org`` and ``user`` say how an organization's or a person's records are found (a
  :class:`Partition` key, an :class:`Index`, or a :class:`Scan` on an attribute for the jobs); ``None`` when the
  table holds none of that subject's records.
- **retention**: said in words, and enforced by the model's TTL attribute where it has one (expired items are
  treated as absent on read, :func:`lily.core.db.is_live`, before DynamoDB deletes them).
- **export**: :class:`Export` (with the attributes left out: secrets, hashes, sealed tokens) or
  :class:`NotExported` with the reason.
- **erasure** of the subject: :attr:`Erase.DELETE`; :attr:`Erase.EXPIRES` (short-lived: its TTL removes the
  records, and an erasure must not remove them first: a revocation mark outlives the tokens it kills); or
  :attr:`Erase.KEEP` for a table that holds nothing about a person. ``on_user_erased`` says what happens to a
  person's records in an organization that stays (its members keep the posts; the link to the person goes):
  :class:`Anonymise` the attributes, or delete.

:func:`describe` gives one model's rule as data (``GET /api/data/retention`` lists every declared table's), and the
export and erasure jobs
(``lily.privacy``) walk it, so a table is covered the day it is declared. ``tests/unit/test_retention_registry.py``
fails when a model a function names has no rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from lily.core.db import LilyModel


# ---------------------------------------------------------------- how a subject's records are found


class Partition(NamedTuple):
    """The subject's records share a hash key: the subject's id, or ``template`` filled with it
    (``"org#{id}"``). One Query."""

    template: str = "{id}"
    kind: Literal["partition"] = "partition"

    def key(self, subject_id: str) -> str:
        return self.template.format(id=subject_id)


class Index(NamedTuple):
    """A global secondary index whose hash key is the subject's id. One Query on the index."""

    index: str
    kind: Literal["index"] = "index"


class Scan(NamedTuple):
    """Records whose ``attribute`` equals the subject's id, starts with ``prefix`` filled with it, or (``contains``)
    holds it anywhere. A full table scan with a filter: for the export and erasure jobs, never a request path."""

    attribute: str
    prefix: str | None = None  # e.g. "{id}#": the attribute starts with the subject's id and a separator
    contains: bool = False
    by: Literal["id", "email"] = "id"  # match the person's e-mail address instead of their id (``user_also``)
    kind: Literal["scan"] = "scan"


Locate = Partition | Index | Scan


# ---------------------------------------------------------------- export and erasure


class Export(NamedTuple):
    """Exported; ``omit`` lists attributes never written to an archive (password and secret hashes, sealed
    tokens: useless to the subject, harmful if the archive leaks); ``distinct`` the attributes that identify one
    record when a table stores it twice (the audit log's day and organization streams)."""

    omit: tuple[str, ...] = ()
    distinct: tuple[str, ...] = ()
    omit_in_user_export: tuple[str, ...] = ()  # may name someone else (an audit event's target: an invitee)
    exported: Literal[True] = True


class NotExported(NamedTuple):
    reason: str
    exported: Literal[False] = False


class Erase(StrEnum):
    DELETE = "delete"  # the subject's records are deleted
    EXPIRES = "expires"  # short-lived (TTL): the TTL removes them, the erasure leaves them to it
    KEEP = "keep"  # holds nothing about an organization or a person


class Anonymise(NamedTuple):
    """When a person is erased from an organization that stays: those of these attributes that hold the person's id
    or address are removed from the organization's records (a record another member requested and they decided
    keeps its requester), with the attributes ``linked`` to one that held it (an audit event's ``ip`` goes with its
    ``actor_id``, not with its target); the records stay."""

    attributes: tuple[str, ...]
    linked: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (attribute, attributes removed with it)


@dataclass(frozen=True)
class DataRule:
    retention: str
    export: Export | NotExported
    erase: Erase
    org: Locate | None = None
    user: Locate | None = None
    on_user_erased: Anonymise | Erase | None = None  # a person's records in an org that stays (user locate set)
    # More ways the erasure finds a person's records: where others' records name them, by id or address (an
    # invitation sent to them, the audit event of it). Not exported: those records are the sender's.
    user_also: tuple[Scan, ...] = ()
    notes: str = ""
    personal_data: bool = True  # False: holds nothing about a person (breakers, heartbeats)
    objects: str | None = None  # the attribute naming each record's object in the media bucket (exported with it)

    def __post_init__(self) -> None:
        if self.user is not None and self.on_user_erased is None:
            raise ValueError("a rule that finds a person's records says what erasing the person does to them")


def rule_of(model: type[LilyModel]) -> DataRule | None:
    rule = getattr(model.Meta, "data", None)
    return rule if isinstance(rule, DataRule) else None


def describe(model: type[LilyModel]) -> dict:
    """One registry entry as plain data (``GET /api/data/retention``)."""
    from lily.core.db import ttl_attribute_name

    rule = rule_of(model)
    if rule is None:
        raise ValueError(f"table {model.Meta.short_name!r} ({model.__module__}.{model.__name__}) declares no DataRule")

    def locate(loc: Locate | None) -> str | None:
        if loc is None:
            return None
        if isinstance(loc, Partition):
            return f"partition key {loc.template}"
        if isinstance(loc, Index):
            return f"index {loc.index}"
        value = "{email}" if loc.by == "email" else "{id}"
        how = f" starting {loc.prefix}" if loc.prefix else f" containing {value}" if loc.contains else f" = {value}"
        return f"scan {loc.attribute}{how}"

    erased_user = rule.on_user_erased
    return {
        "table": model.Meta.short_name,
        "retention": rule.retention,
        "ttl_attribute": ttl_attribute_name(model),
        "personal_data": rule.personal_data,
        "organization_records": locate(rule.org),
        "user_records": "; ".join([locate(rule.user) or "", *(f"erasure also: {locate(s)}" for s in rule.user_also)])
        if rule.user else None,
        "export": ("included" + (f" without {', '.join(rule.export.omit)}" if rule.export.omit else "")
                   if isinstance(rule.export, Export) else f"excluded: {rule.export.reason}"),
        "erasure": rule.erase.value,
        "on_user_erasure": (f"anonymise {', '.join(erased_user.attributes)}" if isinstance(erased_user, Anonymise)
                            else erased_user.value if erased_user is not None else None),
        "notes": rule.notes,
    }
