"""moto's per-request costs that grow with nothing Lily does, cut without changing an answer.

Profiled under the publishing bench (``py-spy record --gil`` on the emulator process), moto spent its CPU
per AWS call on work that does not depend on the request: finding the backend lists moto's package directory
and stats every entry (:func:`cached_backend_names`), dispatching an action lists every method of the handler
class through ``inspect`` (:func:`cached_method_names`), and a DynamoDB answer that is already in DynamoDB's
wire format (``{"S": ...}`` values) is walked again member by member by moto's botocore-model serializer,
22 % of the emulator's CPU on its own (:func:`direct_dynamodb_answers`). A Query on a global secondary index
sorted every item of the table before keeping the index partition asked for (:func:`partitioned_index_queries`);
at 10,000 posts that is the dispatcher's every tick.

:func:`install` applies them all (idempotent); :func:`lily.local.emulator.prepare` calls it. moto's server
routes each request through Flask before the handler; :func:`direct_front` hands DynamoDB's and SQS's
requests to their handler directly (:func:`lily.local.emulator.start_server` serves through it).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import pickle
import threading
from datetime import datetime
from typing import Any

_installed = False
_lock = threading.Lock()

# DynamoDB item operations whose result moto builds as the wire's JSON already (AttributeValues as
# ``{type: value}``; binary values as bytes, base64 on the wire; no timestamps).
DIRECT_JSON = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                         "BatchWriteItem", "TransactGetItems", "TransactWriteItems"})


def cached_backend_names() -> None:
    """moto's server resolves each request's backend by listing its package directory (``os.listdir`` plus
    an ``isdir`` per entry) every time; the package does not change while it runs."""
    from moto import backends

    names = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: names


def cached_method_names() -> None:
    """moto finds an action's method by listing the handler class's functions with ``inspect.getmembers`` on
    every request; a class's functions do not change while it runs."""
    from moto.core import responses

    responses.method_names_from_class = functools.lru_cache(maxsize=None)(responses.method_names_from_class)


def _wire(value: Any) -> Any:
    """JSON for what ``dynamo_to_dict`` leaves that json cannot encode: binary values (base64), times."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _doubles(value: Any) -> Any:
    """ConsumedCapacity's numbers are Doubles in DynamoDB's model (moto may hold them as ints)."""
    if isinstance(value, dict):
        return {k: _doubles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_doubles(v) for v in value]
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def direct_dynamodb_answers() -> None:
    """moto's DynamoDB item operations return their result already in the wire's shape; its generic serializer
    then walks it member by member against the botocore model (picking each value through several alias
    lookups) only to produce the same JSON. For those operations the result is encoded with ``json`` directly:
    the output shape's members, absent (None) values left out, bytes in base64, capacities as doubles.
    Errors and every other operation still go through moto's serializer."""
    from botocore.model import StructureShape
    from moto.core.responses import get_service_model
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.serialized
    model = get_service_model("dynamodb")
    members = {}
    for name in DIRECT_JSON:
        shape = model.operation_model(name).output_shape
        assert isinstance(shape, StructureShape)
        members[name] = frozenset(shape.members)
    content_type = {"Content-Type": "application/x-amz-json-1.0"}

    def serialized(self: Any, action_result: Any) -> Any:
        result, action = action_result.result, self._get_action()
        if action not in members or not isinstance(result, dict):
            return original(self, action_result)
        body = {k: _doubles(_drop_none(v)) if k == "ConsumedCapacity" else _drop_none(v)
                for k, v in result.items() if k in members[action] and v is not None}
        return 200, {**content_type, **self.response_headers}, json.dumps(body, default=_wire,
                                                                           separators=(",", ":"))

    serialized.__wrapped__ = original  # type: ignore[attr-defined]
    DynamoHandler.serialized = serialized


def _equals(attr: Any, value: Any) -> bool:
    return attr is not None and attr == value


def partitioned_index_queries() -> None:
    """moto answers a Query on a global secondary index by sorting every item of the table (a Python key
    function per item) and then keeping those whose index hash key matches. Here the items are first reduced
    to that partition (one pass, no sort), and moto's own code then sorts, pages and filters the few that
    remain: the same answer, without sorting the table on every Query."""
    from moto.dynamodb.models.table import Table

    original = Table.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions")
        if not index_name or not conditions:
            return original(self, hash_key, *args, **kwargs)
        partition = [item for group in self.items.values()
                     for item in (group.values() if self.range_key_attr else (group,))
                     if all(_equals(item.attrs.get(name), value) for name, value in conditions)]
        self.all_items = lambda: partition
        try:  # DynamoDB requests run one at a time (lily.local.emulator): nobody else sees this
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.__wrapped__ = original  # type: ignore[attr-defined]
    Table.query = query


def _copy(value: Any) -> Any:
    try:
        return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own objects
    except (pickle.PicklingError, TypeError, AttributeError):
        return copy.deepcopy(value)


def cheaper_update_expressions() -> None:
    """Every UpdateItem parses its update expression twice (request check, then backend) and deep-copies the
    parsed tree before validating it (the validators rewrite the copy): 14 % of the emulator's CPU under the
    publisher. Parsing a string always gives the same tree and nobody changes the parsed tree itself (only
    its copy), so the trees are kept per expression; the copy is made through pickle, 3x cheaper than
    ``deepcopy`` for these plain objects (``deepcopy`` still if an object cannot be pickled)."""
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    UpdateExpressionParser.make = staticmethod(functools.lru_cache(maxsize=4096)(UpdateExpressionParser.make))
    _copy.__wrapped__ = validators.deepcopy  # type: ignore[attr-defined]
    validators.deepcopy = _copy


def cached_processing_maps() -> None:
    """moto validates an update expression by walking its tree once per processor (eight of them); at every
    node each processor builds its node-type-to-method map twice (``nodes_to_be_processed`` says "cached" but
    rebuilds it). A processor's map depends on its class only, so each processor builds it once."""
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

    def processing_map(self: Any) -> dict:
        found = self.__dict__.get("_lily_processing_map")
        if found is None:
            found = self.__dict__["_lily_processing_map"] = self._processing_map()
        return found

    def nodes_to_be_processed(self: Any) -> tuple:
        found = self.__dict__.get("_lily_node_types")
        if found is None:
            found = self.__dict__["_lily_node_types"] = tuple(processing_map(self))
        return found

    def process(self: Any, node: Any) -> Any:
        for class_key, processor in processing_map(self).items():
            if isinstance(node, class_key):
                return processor(node)
        return None

    nodes_to_be_processed.__wrapped__ = DepthFirstTraverser.nodes_to_be_processed  # type: ignore[attr-defined]
    process.__wrapped__ = DepthFirstTraverser.process  # type: ignore[attr-defined]
    DepthFirstTraverser.nodes_to_be_processed = nodes_to_be_processed
    DepthFirstTraverser.process = process


def direct_front(app: Any) -> Any:
    """The WSGI app of moto's server with DynamoDB's and SQS's JSON requests handed to their moto handler
    directly. moto's server finds a request's backend (host, headers and body inspected), builds a Flask
    request context, routes through Flask and wraps the handler's answer in Flask's response (with CORS
    headers): about a fifth of the emulator's CPU for each of Lily's calls. The handler, its arguments and
    its answer are moto's own; every other request goes through moto's app unchanged."""
    from moto.dynamodb.responses import DynamoHandler
    from moto.moto_server.werkzeug_app import BackendRequest
    from moto.sqs.responses import SQSResponse
    from werkzeug.wrappers import Response

    handlers = {"DynamoDB_20120810": DynamoHandler.dispatch, "AmazonSQS": SQSResponse.dispatch}

    def front(environ: dict[str, Any], start_response: Any) -> Any:
        dispatch = handlers.get(environ.get("HTTP_X_AMZ_TARGET", "").partition(".")[0])
        if dispatch is None or environ.get("PATH_INFO") != "/" or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        request = BackendRequest(environ)
        status, headers, body = dispatch(request, request.raw_url, dict(request.headers))
        return Response(response=body, status=status, headers=headers)(environ, start_response)

    return front


def install() -> None:
    """Apply every speed-up in this process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        cached_backend_names()
        cached_method_names()
        direct_dynamodb_answers()
        partitioned_index_queries()
        cheaper_update_expressions()
        cached_processing_maps()
        _installed = True
