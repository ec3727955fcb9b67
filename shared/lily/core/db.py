"""The DynamoDB base: pynamodb models whose table names, region and endpoint come from settings.

A model declares its short table name and nothing about the environment::

    class Thing(LilyModel):
        class Meta(TableMeta):
            short_name = "things"
        pk = UnicodeAttribute(hash_key=True)

The models are the schema: the CDK stateful stack and the local provisioner build a table for each model a
function's wiring names (:func:`lily.core.functions.declared_models`), and an infra test compares the
synthesized template with them.

TTL deletes late (and never in the emulator): use :func:`is_live` on every read of an item with
an expiry.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from pynamodb.attributes import TTLAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from lily.core import aws, clock
from lily.core.config import get_settings, on_reset

_REGISTRY: dict[str, type[LilyModel]] = {}


class _DynamicMeta(type):
    """Class-level properties so pynamodb reads the environment when it connects, not at import."""

    @property
    def table_name(cls) -> str:
        return get_settings().table_name(cls.short_name)

    @property
    def region(cls) -> str:
        return get_settings().region

    @property
    def host(cls) -> str | None:
        return get_settings().aws_endpoint_url


class TableMeta(metaclass=_DynamicMeta):
    short_name: str = ""
    billing_mode = "PAY_PER_REQUEST"
    connect_timeout_seconds = 3
    read_timeout_seconds = 10
    max_retry_attempts = 3


class LilyModel(Model):
    """Base of every Lily table model."""

    class Meta(TableMeta):
        short_name = "_abstract"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        short = getattr(cls.Meta, "short_name", "")
        if short and short != "_abstract":
            if short in _REGISTRY and _REGISTRY[short].__qualname__ != cls.__qualname__:
                raise RuntimeError(f"two models declare table {short!r}")
            _REGISTRY[short] = cls

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # pynamodb gives each model class a connection of its own, with its own botocore session and DynamoDB
        # client; every Lily table shares the process's one connection instead (:class:`_Connection`).
        table = super()._get_connection()
        shared = _connection(cls.Meta.region, cls.Meta.host)
        if table.connection is not shared:
            shared.add_meta_table(table.get_meta_table())  # the model's key schema, known without a DescribeTable
            table.connection = shared
        return table


def ttl_attribute_name(model: type[LilyModel]) -> str | None:
    for name, attr in model.get_attributes().items():
        if isinstance(attr, TTLAttribute):
            return attr.attr_name or name
    return None


def is_live(item: Any, attr: str = "expires_at") -> bool:
    """False when the item is missing or its TTL has passed (DynamoDB deletes late)."""
    if item is None:
        return False
    expires = getattr(item, attr, None)
    if expires is None:
        return True
    ts = expires.timestamp() if hasattr(expires, "timestamp") else float(expires)
    return ts > clock.now_ts()


def condition_failed(exc: Exception) -> bool:
    """True when a pynamodb write failed on its condition (someone else won)."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def won(write: Callable[[], Any]) -> bool:
    """Run one conditional write: True when it applied, False when its condition failed (someone else won).

    The one place a lost race is translated; any other failure propagates. Use it so a service reads as its
    state machine::

        if not won(lambda: target.update(actions=[...], condition=Target.status == "queued")):
            return  # another worker moved it first
    """
    try:
        write()
    except PynamoDBException as exc:
        if condition_failed(exc):
            return False
        raise
    return True


# Why DynamoDB cancels a transaction when another writer got there first.
_LOST_RACE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


class _Connection(Connection):
    """pynamodb's connection on the process's botocore session (:func:`lily.core.aws.botocore_session`): one
    DynamoDB client for every table and transaction, made from the data files boto3's clients use too."""

    @property
    def session(self) -> Any:
        return aws.botocore_session()

    @property
    def client(self) -> Any:
        with aws.CLIENT_LOCK:
            return super().client


@cache
def _connection(region: str, host: str | None) -> Connection:
    return _Connection(region=region, host=host, connect_timeout_seconds=TableMeta.connect_timeout_seconds,
                       read_timeout_seconds=TableMeta.read_timeout_seconds,
                       max_retry_attempts=TableMeta.max_retry_attempts)


on_reset(_connection.cache_clear)


def won_transaction(build: Callable[[TransactWrite], Any]) -> bool:
    """Run one DynamoDB transaction: True when it committed, False when it lost a race.

    ``build(tx)`` adds the writes (``tx.update(...)``, ``tx.save(...)``, each with its condition). A
    cancellation whose reasons are only failed conditions or a concurrent transaction on the same items is
    the lost race; any other failure propagates (the transaction counterpart of :func:`won`)::

        if not won_transaction(lambda tx: (tx.update(a, actions=..., condition=...),
                                           tx.update(b, actions=..., condition=...))):
            raise conflict("changed meanwhile")
    """
    s = get_settings()
    try:
        with TransactWrite(connection=_connection(s.region, s.aws_endpoint_url)) as tx:
            build(tx)
    except TransactWriteError as exc:
        reasons = {r.code for r in exc.cancellation_reasons if r is not None}
        if exc.cause_response_code == "TransactionCanceledException" and reasons and reasons <= _LOST_RACE:
            return False
        raise
    return True


def table_schema(model: type[LilyModel]) -> dict[str, Any]:
    """Keys, GSIs and TTL of a model, in one comparable shape (used by provisioning and drift tests)."""
    attrs = model.get_attributes()
    hash_key = next(a.attr_name for a in attrs.values() if a.is_hash_key)
    range_key = next((a.attr_name for a in attrs.values() if a.is_range_key), None)
    types = {a.attr_name: a.attr_type for a in attrs.values()}
    gsis = {}
    for index in model._indexes.values():
        keys = {"hash": None, "range": None}
        for attr in index.Meta.attributes.values():
            if attr.is_hash_key:
                keys["hash"] = attr.attr_name
            if attr.is_range_key:
                keys["range"] = attr.attr_name
        projection = index.Meta.projection.projection_type
        gsis[index.Meta.index_name] = {"hash": keys["hash"], "range": keys["range"], "projection": projection}
    key_names = {hash_key, range_key} | {v for g in gsis.values() for v in (g["hash"], g["range"])}
    return {
        "name": model.Meta.short_name,
        "hash": hash_key,
        "range": range_key,
        "attribute_types": {k: types[k] for k in sorted(n for n in key_names if n)},
        "gsis": gsis,
        "ttl": ttl_attribute_name(model),
    }
