"""One versioned JSON document per organization (a brand profile, image settings): version 0 means none saved
and the defaults apply; a write with ``expected_version`` loses (409) to anyone who saved in between.

The table's model has ``org_id`` (hash key), ``version``, ``data`` (the document, validated on every write),
``updated_by`` and ``updated_at``; the capability gives the document's model (``doc``: its defaults are the
unsaved document) and its API model (``out``: ``org_id``, ``version``, ``updated_at``, ``updated_by`` + the
document's fields).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from lily.core import clock
from lily.core.db import won
from lily.core.errors import conflict, not_found

D = TypeVar("D", bound=BaseModel)
O = TypeVar("O", bound=BaseModel)  # noqa: E741 - the API model


class OrgDocument(Generic[D, O]):
    def __init__(self, table: Any, doc: type[D], out: type[O], label: str) -> None:
        self.table, self.doc, self.out, self.label = table, doc, out, label

    def _item(self, org_id: str) -> Any | None:
        try:
            return self.table.get(org_id, consistent_read=True)
        except self.table.DoesNotExist:
            return None

    def current(self, org_id: str) -> tuple[D, int]:
        """The document in force and its version (the defaults and 0 when none is saved)."""
        item = self._item(org_id)
        return (self.doc(**item.data), int(item.version)) if item else (self.doc(), 0)

    def _out(self, org_id: str, item: Any | None) -> O:
        if item is None:
            return self.out(org_id=org_id, version=0, **self.doc().model_dump())
        return self.out(org_id=org_id, version=int(item.version), updated_at=item.updated_at,
                        updated_by=item.updated_by, **self.doc(**item.data).model_dump())

    def get(self, org_id: str) -> O:
        return self._out(org_id, self._item(org_id))

    def put(self, org_id: str, body: BaseModel, user_id: str | None) -> O:
        """Create or replace with ``body`` (the document's fields + ``expected_version``); returns what was saved."""
        item = self._item(org_id)
        version = int(item.version) if item else 0
        expected = getattr(body, "expected_version", None)
        if expected is not None and expected != version:
            raise conflict(f"the {self.label} changed; reload it", version=version, expected=expected)
        data = self.doc(**body.model_dump(exclude={"expected_version"})).model_dump(mode="json")
        new = self.table(org_id, version=version + 1, data=data, updated_by=user_id, updated_at=clock.now())
        condition = self.table.org_id.does_not_exist() if item is None else self.table.version == version
        if not won(lambda: new.save(condition=condition)):
            raise conflict(f"the {self.label} changed; reload it", expected=version)
        return self._out(org_id, new)

    def delete(self, org_id: str) -> None:
        item = self._item(org_id)
        if item is None:
            raise not_found(self.label[:1].upper() + self.label[1:])
        item.delete()
