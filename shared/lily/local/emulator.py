"""The local AWS emulator (moto), made faithful where Lily's correctness depends on it.

DynamoDB applies the writes to one item one after the other, so a conditional write always sees the
previous write's result: of two racing ``UpdateItem`` calls conditioned on the same old value, exactly
one wins. moto does not serialize them (two threads can both read the old value, both pass the condition
and both write), and its ``TransactWriteItems`` copies whole tables and restores them on failure, which
costs O(table) per transaction and can undo other threads' writes. :func:`serialize_writes` restores
DynamoDB's guarantee inside the process that runs moto's backend: every single-item write takes the lock
of its item (locks are striped by item key), a transaction takes every lock, and a failed transaction is
undone item by item; over HTTP each request is answered from one state (a read never sees half a write).
:func:`prepare` does that; :func:`start_server` serves it over HTTP with keep-alive.

Used by local mode (:func:`lily.local.runner.start_emulator`), the tests and the benches. ``python -m
lily.local.emulator PORT`` serves moto from its own process with the same guarantee, so the emulator's CPU
does not compete with Lily's for one interpreter lock.
"""

from __future__ import annotations

import copy
import json
import sys
import threading
import time
import zlib
from contextlib import contextmanager
from typing import Any

STRIPES = 256
_locks = [threading.RLock() for _ in range(STRIPES)]
_installed = False
_install_lock = threading.Lock()


def _stripe(table_name: str, key: dict[str, Any]) -> threading.RLock:
    token = f"{table_name}\x00{json.dumps(key, sort_keys=True, default=str)}"
    return _locks[zlib.crc32(token.encode()) % STRIPES]


def _key_of(backend: Any, table_name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    try:
        table = backend.get_table(table_name)
    except Exception:  # noqa: BLE001 - unknown table: moto itself raises the proper error next
        return attrs
    names = [n for n in (table.hash_key_attr, table.range_key_attr) if n]
    return {n: attrs.get(n) for n in names}


class _AllStripes:
    """Every stripe, taken in a fixed order (no deadlock with single-item writers)."""

    def __enter__(self) -> None:
        for lock in _locks:
            lock.acquire()

    def __exit__(self, *exc: object) -> None:
        for lock in reversed(_locks):
            lock.release()


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for entry in transact_items:
        for op_type, op in entry.items():
            table_name = op.get("TableName")
            if not table_name:
                continue
            key = _key_of(backend, table_name, op["Item"]) if op_type == "Put" else op.get("Key")
            if key:
                out.append((table_name, key))
    return out


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict, dict | None]]:
    """The items a transaction touches, as they are before it (None: absent)."""
    snap = []
    for table_name, key in _touched(backend, transact_items):
        try:
            item = backend.get_item(table_name, key)
        except Exception:  # noqa: BLE001, S112 - moto reports the bad request itself
            continue
        snap.append((table_name, key, copy.deepcopy(item.to_json()["Attributes"]) if item else None))
    return snap


def _restore(backend: Any, snap: list[tuple[str, dict, dict | None]]) -> None:
    """Undo a failed transaction item by item (moto would restore whole-table copies, undoing others' writes)."""
    for table_name, key, attrs in reversed(snap):
        if attrs is None:
            backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, attrs)


@contextmanager
def _tables_not_copied():
    """moto's transaction deep-copies every table it touches (O(table) per transaction, O(N²) for N posts);
    with the item-level undo above, a table's "copy" can be the table itself."""
    from moto.dynamodb.models.table import Table

    Table.__deepcopy__ = lambda self, memo: self
    try:
        yield
    finally:
        del Table.__deepcopy__


_request_lock = threading.RLock()


def _atomic_requests() -> None:
    """moto updates items in place and serializes its answers after the backend call: a read running beside a
    write can see it half done (or fail with "dictionary changed size"). DynamoDB answers each request from
    one state, so moto's DynamoDB requests run one at a time (moto's CPU is one interpreter's anyway)."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _request_lock:
            return original(self)

    call_action.__wrapped__ = original  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action


def serialize_writes() -> None:
    """Make moto's DynamoDB backend in this process apply writes to one item one at a time (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.dynamodb.models import DynamoDBBackend

        def wrap_item(name: str, key_arg: str) -> None:
            original = getattr(DynamoDBBackend, name)

            def serialized(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
                attrs = args[0] if args else kwargs[key_arg]
                key = attrs if key_arg == "key" else _key_of(self, table_name, attrs)
                with _stripe(table_name, key):
                    return original(self, table_name, *args, **kwargs)

            serialized.__wrapped__ = original  # type: ignore[attr-defined]
            setattr(DynamoDBBackend, name, serialized)

        wrap_item("put_item", "item_attrs")
        wrap_item("update_item", "key")
        wrap_item("delete_item", "key")
        original_transact = DynamoDBBackend.transact_write_items

        def transact(self: Any, transact_items: list[dict[str, Any]]) -> Any:
            with _AllStripes():
                before = _snapshot(self, transact_items)
                with _tables_not_copied():
                    try:
                        return original_transact(self, transact_items)
                    except Exception:
                        _restore(self, before)
                        raise

        transact.__wrapped__ = original_transact  # type: ignore[attr-defined]
        DynamoDBBackend.transact_write_items = transact
        _atomic_requests()
        _installed = True


_fast_queues_installed = False
_sending = threading.local()


def fast_queues() -> None:
    """moto's SQS costs O(queue)² per ReceiveMessage: each message it hands out checks its retention period by
    computing every queue attribute, the approximate counts included (each a pass over the queue), and every
    SendMessage computes them once more; each pass asks a datetime for the time per message. With thousands of
    delayed messages waiting (a publishing backlog) that dominates the emulator. Same answers, linear cost:
    the retention period is read directly, the three counts come from one pass, and a message's visibility
    compares against ``time.time()``. SendMessage reads one flag of the attributes (ContentBasedDeduplication),
    so it skips the counts; and deleting a message (a pass over the queue building a list of each message's
    receipt handles, twice per message of a batch) compares the handles directly, in one pass per batch: at
    N=10,000 with the backlog queued, those two were
    22 % of the emulator's CPU. A ReceiveMessage lists the receivable messages reading the clock once (moto
    reads it twice per message), and a long poll wakes on a message added only to ask whether any message is
    receivable now, not to list them all. Idempotent."""
    global _fast_queues_installed
    with _install_lock:
        if _fast_queues_installed:
            return
        from moto.core.utils import camelcase_to_underscores
        from moto.sqs.exceptions import ReceiptHandleIsInvalid
        from moto.sqs.models import Message, Queue, SQSBackend

        Message.visible = property(lambda self: time.time() * 1000.0 > self.visible_at)
        Message.delayed = property(lambda self: time.time() * 1000.0 < self.delayed_until)

        def receivable(self: Any) -> list[Any]:  # moto's Queue.messages, the clock read once per pass
            now = time.time() * 1000.0
            return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

        def wait_for_messages(self: Any, timeout: int) -> None:
            """A long poll's wait: moto lists every receivable message each time a message is added (each
            waiting ReceiveMessage, at every send); whether there is one is enough."""
            def any_receivable() -> bool:
                now = time.time() * 1000.0
                return any(now > m.visible_at and not now < m.delayed_until for m in self._messages)

            with self._messages_lock:
                self._messages_lock.wait_for(any_receivable, timeout=timeout)

        receivable.__wrapped__ = Queue.messages  # type: ignore[attr-defined]
        wait_for_messages.__wrapped__ = Queue.wait_for_messages  # type: ignore[attr-defined]
        Queue.messages = property(receivable)
        Queue.wait_for_messages = wait_for_messages

        def retained(self: Any, queue_name: str, message: Any) -> bool:
            retention = int(self.get_queue(queue_name).message_retention_period)
            return retention + message.sent_timestamp / 1000 > time.time()

        SQSBackend.is_message_valid_based_on_retention_period = retained

        def attributes(self: Any) -> dict[str, Any]:  # moto's Queue.attributes, the counts in one pass
            now = time.time() * 1000.0
            counts = {"ApproximateNumberOfMessages": 0, "ApproximateNumberOfMessagesDelayed": 0,
                      "ApproximateNumberOfMessagesNotVisible": 0}
            for m in () if getattr(_sending, "active", False) else self._messages:
                shown, held = now > m.visible_at, now < m.delayed_until
                counts["ApproximateNumberOfMessages"] += shown and not held
                counts["ApproximateNumberOfMessagesDelayed"] += held
                counts["ApproximateNumberOfMessagesNotVisible"] += not shown
            names = list(self.BASE_ATTRIBUTES) + (self.FIFO_ATTRIBUTES if self.fifo_queue else []) + (
                self.KMS_ATTRIBUTES if self.kms_master_key_id else [])
            result = {n: counts[n] if n in counts else getattr(self, camelcase_to_underscores(n)) for n in names}
            if self.policy:
                result["Policy"] = self.policy
            if self.redrive_policy:
                result["RedrivePolicy"] = json.dumps(self.redrive_policy)
            return {k: str(v).lower() if isinstance(v, bool) else v for k, v in result.items()}

        Queue.attributes = property(attributes)
        original_send = SQSBackend.send_message

        def send_message(self: Any, *args: Any, **kwargs: Any) -> Any:  # reads ContentBasedDeduplication only
            _sending.active = True
            try:
                return original_send(self, *args, **kwargs)
            finally:
                _sending.active = False

        send_message.__wrapped__ = original_send  # type: ignore[attr-defined]
        SQSBackend.send_message = send_message

        def delete_message(self: Any, receipt_handle: str) -> None:  # moto's Queue.delete_message, lists not built
            if receipt_handle in self.deleted_messages:
                return  # already deleted: SQS accepts it again
            found = [m for m in self._messages
                     if m.receipt_handle == receipt_handle or receipt_handle in m._old_receipt_handles]
            if not found:
                raise ReceiptHandleIsInvalid()
            for m in found:
                self.pending_messages.discard(m)
                self.deleted_messages.update(m.all_receipt_handles)
            self._messages = [m for m in self._messages if all(m is not f for f in found)]

        delete_message.__wrapped__ = Queue.delete_message  # type: ignore[attr-defined]
        Queue.delete_message = delete_message

        def delete_message_batch(self: Any, queue_name: str, receipts: list[dict[str, Any]]) -> Any:
            """moto's, with one pass over the queue for the whole batch (moto makes two per entry)."""
            queue = self.get_queue(queue_name)
            wanted = {r["ReceiptHandle"] for r in receipts} - queue.deleted_messages
            holder = {h: m for m in (queue._messages if wanted else ())
                      for h in (m.receipt_handle, *m._old_receipt_handles) if h in wanted}
            success, errors, gone = [], [], set()
            for r in receipts:
                handle, m = r["ReceiptHandle"], holder.get(r["ReceiptHandle"])
                if handle not in queue.deleted_messages and m is None:
                    errors.append({"Id": r["Id"], "SenderFault": True, "Code": "ReceiptHandleIsInvalid",
                                   "Message": f'The input receipt handle "{handle}" is not a valid receipt handle.'})
                    continue
                if handle not in queue.deleted_messages:
                    queue.pending_messages.discard(m)
                    queue.deleted_messages.update(m.all_receipt_handles)
                    gone.add(id(m))
                success.append(r["Id"])
            if gone:
                queue._messages = [m for m in queue._messages if id(m) not in gone]
            return success, errors

        delete_message_batch.__wrapped__ = SQSBackend.delete_message_batch  # type: ignore[attr-defined]
        SQSBackend.delete_message_batch = delete_message_batch
        _fast_queues_installed = True


_fast_queries_installed = False


def fast_queries() -> None:
    """moto answers a Query on a table's own key by sorting every item of the table and keeping those of the
    partition (O(table log table) per Query: reading one post's targets costs as much as the whole table).
    Here it looks at that partition only; the answer is the same. Idempotent."""
    global _fast_queries_installed
    with _install_lock:
        if _fast_queries_installed:
            return
        from moto.dynamodb.models.table import Table

        original = Table.query

        def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
            index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
            if index_name or hash_key is None:
                return original(self, hash_key, *args, **kwargs)
            found = self.items.get(hash_key)
            partition = [] if found is None else list(found.values()) if self.range_key_attr else [found]
            self.all_items = lambda: sorted(partition, key=lambda x: (x.hash_key, x.range_key)
                                            if x.range_key else x.hash_key)
            try:  # DynamoDB requests run one at a time (:func:`_atomic_requests`): nobody else sees this
                return original(self, hash_key, *args, **kwargs)
            finally:
                del self.all_items

        query.__wrapped__ = original  # type: ignore[attr-defined]
        Table.query = query
        _fast_queries_installed = True


_untracked = False


def untracked_models() -> None:
    """moto's ``BaseModel`` keeps every instance it ever made, for its dashboard (``/moto-api``): every DynamoDB
    item, the two copies each UpdateItem makes to answer and check, every SQS message and the copy each receive
    hands out. Nothing of it is ever freed, so the emulator grew with every call (929 MB at N=10,000 with 3.1
    items stored per post; 6,300 live items after 3,000 updates of 300 stored ones). Lily does not use the
    dashboard: instances are no longer kept (what was kept so far is dropped). Idempotent."""
    global _untracked
    with _install_lock:
        if _untracked:
            return
        from moto.core.common_models import BaseModel
        from moto.core.model_instances import reset_model_data

        def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:  # noqa: ARG001 - moto's signature
            return object.__new__(cls)

        __new__.__wrapped__ = BaseModel.__new__  # type: ignore[attr-defined]
        BaseModel.__new__ = __new__  # type: ignore[method-assign]
        reset_model_data()
        _untracked = True


def prepare() -> None:
    """Make moto in this process faithful (writes serialized per item, each request answered from one state)
    and linear where it was quadratic (:func:`fast_queues`, :func:`fast_queries`), without the per-request
    costs :mod:`lily.local.emulator_speed` removes, and keeping only what it stores (:func:`untracked_models`)."""
    from lily.local import emulator_speed

    serialize_writes()
    untracked_models()
    fast_queues()
    fast_queries()
    emulator_speed.install()


def start_server(port: int, host: str = "127.0.0.1") -> Any:
    """moto's server in threads of this process, with writes serialized; returns it (``.stop()``).

    moto's WSGI app (DynamoDB and SQS through :func:`lily.local.emulator_speed.direct_front`) on cheroot, a
    threaded HTTP/1.1 server that keeps the SDKs' pooled connections open. moto's own werkzeug server closes
    the connection after every answer (a new TCP connection and a new thread per AWS call, and a 10 ms drain
    of the socket after each); uvicorn through a WSGI bridge hands every request, body read and answer
    between its event loop and a worker thread: 0.5-0.7 ms of the emulator's CPU per call more than cheroot
    (measured per GetItem, PutItem, Query and SQS round trip).
    """
    from cheroot import wsgi
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from lily.local.emulator_speed import direct_front

    prepare()
    server = wsgi.Server((host, port), direct_front(DomainDispatcherApplication(create_backend_app)),
                         numthreads=32)
    # cheroot keeps at most 10 idle connections open by default and closes every other one after its answer:
    # with ten publisher workers, two dispatchers' pools and the pynamodb clients' pools (one per table) that
    # was a new TCP connection for most calls (connect, accept, close: about a fifth of both processes' CPU
    # under the publishing bench). The SDKs' pools bound the connections already.
    server.keep_alive_conn_limit = None
    server.prepare()  # bound and listening when this returns
    threading.Thread(target=server.serve, daemon=True, name=f"emulator-{port}").start()
    return server


class EmulatorProcess:
    """``python -m lily.local.emulator PORT`` as a child process (its own interpreter, its own core)."""

    def __init__(self, port: int) -> None:
        import os
        import subprocess

        self.url = f"http://127.0.0.1:{port}"
        # glibc gives each of the server's threads a malloc arena of its own (up to 8 per core); answers and
        # request bodies larger than Python's small-object allocator land there and the arenas keep their peak.
        env = {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
        self.proc = subprocess.Popen([sys.executable, "-m", "lily.local.emulator", str(port)],  # noqa: S603
                                     stdout=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if "listening" not in line:
            self.stop()
            raise RuntimeError(f"the emulator process did not start: {line!r}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def main(argv: list[str]) -> int:
    """Serve moto on ``argv[0]`` (a port) until killed: the emulator in a process of its own."""
    port = int(argv[0]) if argv else 5000
    server = start_server(port)
    print(f"emulator listening on http://127.0.0.1:{port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
