"""Per-org count limits as one conditional write: the idiom for every "at most N per organization" rule.

A check-then-save (count the org's items, then save one) lets concurrent creations all pass the check: 40 at once
stored 24 research configs under a limit of 20. Here a counter row lives in the limited table itself, under the
org's hash key and the sort key :data:`COUNTER_KEY` (which no item id takes: ids carry a prefix, and listings read
only that prefix). Taking a slot is one ``UpdateItem`` — ``n = n + 1`` on condition ``n < limit`` — so concurrent
creations serialize on that row and at most ``limit`` succeed. The row starts from the org's current count the first
time it is needed (``attribute_not_exists``), so items created before it stay counted. A save that fails after the
slot was taken, and every delete, give the slot back (``n = n - 1`` on condition ``n > 0``).
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError

from lily.core.aws import client
from lily.core.db import LilyModel

COUNTER_KEY = "#count"
COUNT = "slots_used"


def _keys(model: type[LilyModel], org_id: str, counter: str = COUNTER_KEY) -> dict[str, dict[str, str]]:
    attrs = model.get_attributes().values()
    hash_name = next(a.attr_name for a in attrs if a.is_hash_key)
    range_name = next(a.attr_name for a in attrs if a.is_range_key)
    return {hash_name: {"S": org_id}, range_name: {"S": counter}}


def _lost(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _start(model: type[LilyModel], org_id: str, prefix: str, counter: str = COUNTER_KEY,
           current: Callable[[], int] | None = None) -> None:
    """Create the org's counter from its current count (``current()``, else the items under ``prefix``), unless it
    exists (the first writer wins)."""
    ddb, key = client("dynamodb"), _keys(model, org_id, counter)
    if "Item" in ddb.get_item(TableName=model.Meta.table_name, Key=key, ConsistentRead=True):
        return
    range_attr = next(a for a in model.get_attributes().values() if a.is_range_key)
    existing = current() if current else model.count(org_id, range_attr.startswith(prefix), consistent_read=True)
    try:
        ddb.put_item(TableName=model.Meta.table_name, Item={**key, COUNT: {"N": str(existing)}},
                     ConditionExpression="attribute_not_exists(#c)", ExpressionAttributeNames={"#c": COUNT})
    except ClientError as exc:
        if not _lost(exc):
            raise


def take_slot(model: type[LilyModel], org_id: str, limit: int, prefix: str, *, counter: str = COUNTER_KEY,
              current: Callable[[], int] | None = None) -> bool:
    """Take one of the org's ``limit`` slots: False when they are all taken (nothing changed). ``counter`` names
    another counter row of the table (``current`` counts what it counts, the first time it is needed)."""
    _start(model, org_id, prefix, counter, current)
    try:
        client("dynamodb").update_item(
            TableName=model.Meta.table_name, Key=_keys(model, org_id, counter), UpdateExpression="SET #c = #c + :one",
            ConditionExpression="#c < :limit", ExpressionAttributeNames={"#c": COUNT},
            ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": str(limit)}})
    except ClientError as exc:
        if _lost(exc):
            return False
        raise
    return True


def recount(model: type[LilyModel], org_id: str, seen: int, actual: int, *, counter: str) -> bool:
    """Set the counter to ``actual`` if it still reads ``seen`` (a counter of things that can vanish without giving
    their slot back, e.g. a job that died with its worker, is corrected from a count of the live ones)."""
    try:
        client("dynamodb").update_item(
            TableName=model.Meta.table_name, Key=_keys(model, org_id, counter), UpdateExpression="SET #c = :actual",
            ConditionExpression="#c = :seen", ExpressionAttributeNames={"#c": COUNT},
            ExpressionAttributeValues={":actual": {"N": str(actual)}, ":seen": {"N": str(seen)}})
    except ClientError as exc:
        if _lost(exc):
            return False
        raise
    return True


def slots_used(model: type[LilyModel], org_id: str, *, counter: str = COUNTER_KEY) -> int:
    item = client("dynamodb").get_item(TableName=model.Meta.table_name, Key=_keys(model, org_id, counter),
                                       ConsistentRead=True).get("Item")
    return int(item[COUNT]["N"]) if item else 0


def give_slot(model: type[LilyModel], org_id: str, *, counter: str = COUNTER_KEY) -> None:
    """Give one slot back (an item deleted, or a save that failed after its slot was taken)."""
    try:
        client("dynamodb").update_item(
            TableName=model.Meta.table_name, Key=_keys(model, org_id, counter), UpdateExpression="SET #c = #c - :one",
            ConditionExpression="#c > :zero", ExpressionAttributeNames={"#c": COUNT},
            ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}})
    except ClientError as exc:
        if not _lost(exc):  # no counter or already 0: nothing to give back
            raise
