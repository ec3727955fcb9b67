"""Tracing: built lazily, never records a handler's response or error; SnapStart hooks prime and re-seed.

The trace test runs handlers in a fresh interpreter set up as a traced Lambda invocation (``LAMBDA_TASK_ROOT``,
a sampled ``_X_AMZN_TRACE_ID``) with the real X-Ray SDK, whose emitter is replaced by one that keeps every
segment document it would have sent to the daemon.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import snapshot_restore_py

from lily.core import snapstart
from lily.core.schema import Schema

ROOT = Path(__file__).resolve().parents[2]

TRACED_RUN = r"""
import json, sys
from aws_xray_sdk.core import xray_recorder

SECRET = "sk_secret_never_in_traces_0123456789"


class Capture:
    def __init__(self):
        self.documents = []

    def send_entity(self, entity):
        self.documents.append(entity.serialize())

    def set_daemon_address(self, address):
        pass


capture = Capture()
xray_recorder.configure(emitter=capture)

from fastapi import HTTPException

from lily.core.handlers import scheduled_handler
from lily.core.http import create_app, http_handler
from lily.core.observability import tracer
from lily.local.context import LocalContext

app = create_app("trace test")


@app.get("/secret")
def secret():
    return {"access_token": SECRET, "backup_codes": [SECRET]}


@app.get("/boom")
def boom():
    raise RuntimeError(SECRET)


def job(event):
    if event.get("fail"):
        raise ValueError(SECRET)
    return {"api_key": SECRET}


http = http_handler(app)
scheduled = scheduled_handler(job)
sample = open(sys.argv[1]).read()
ctx = LocalContext("lily-test-fn")


def at(path):
    event = json.loads(sample)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    return event


answer = http(at("/secret"), ctx)
assert SECRET in answer["body"], answer
assert http(at("/boom"), ctx)["statusCode"] == 500
assert scheduled({"id": "e1", "detail-type": "Scheduled Event"}, ctx) == {"api_key": SECRET}
try:
    scheduled({"id": "e2", "detail-type": "Scheduled Event", "fail": True}, ctx)
except ValueError:
    pass
lily_documents = list(capture.documents)

# Control: the same recorder, with Powertools' defaults, does record a response (the capture works).
control = tracer().capture_lambda_handler(lambda event, context: {"token": SECRET})
control({}, ctx)
print(json.dumps({"lily": lily_documents, "control": capture.documents[len(lily_documents):], "secret": SECRET}))
"""


def _traced_run(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_XRAY", "_X_AMZN"))}
    env.update({
        "LAMBDA_TASK_ROOT": str(tmp_path),
        "AWS_LAMBDA_FUNCTION_NAME": "lily-test-fn",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "POWERTOOLS_METRICS_DISABLED": "true",
    })
    proc = subprocess.run([sys.executable, "-c", TRACED_RUN, str(ROOT / "events" / "health.json")],  # noqa: S603
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_traced_handlers_record_neither_response_nor_error(tmp_path):
    run = _traced_run(tmp_path)
    handlers = [json.loads(d) for d in run["lily"] if json.loads(d)["name"] == "## handler"]
    # Four invocations were traced: one subsegment each, with the usual annotations...
    assert len(handlers) == 4, run["lily"]
    assert all(h["annotations"]["Service"] == "lily" for h in handlers)
    # ...the failed job still shows as a fault, by a cause id only...
    faults = [h for h in handlers if h.get("fault")]
    assert len(faults) == 1 and isinstance(faults[0]["cause"], str), faults
    # ...and no response or error detail in any document sent
    assert not any("metadata" in h for h in handlers)
    assert all(run["secret"] not in d for d in run["lily"])
    # The control shows the capture would have seen a recorded response.
    assert any(run["secret"] in d for d in run["control"])


def test_the_tracer_is_built_on_first_use_not_at_import():
    code = ("import sys; import lily.core.handlers, lily.core.http; "
            "print(any(m.startswith('aws_xray_sdk') for m in sys.modules))")
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,  # noqa: S603
                         timeout=120, check=True).stdout.strip()
    assert out == "False"


def test_snapstart_hooks_prime_the_tracer_and_reseed_random(monkeypatch):
    before, after = [], []
    monkeypatch.setattr(snapshot_restore_py, "_before_snapshot_registry", before)
    monkeypatch.setattr(snapshot_restore_py, "_after_restore_registry", after)
    snapstart.install.cache_clear()
    try:
        assert snapstart.install() is True
        assert snapstart.install() is True  # once per process, however many handlers are built
        assert [f for f, _, _ in before] == [snapstart.prime] and [f for f, _, _ in after] == [snapstart.after_restore]
    finally:
        snapstart.install.cache_clear()
    # prime builds the tracer that invocations would otherwise build, every pydantic model loaded (each built at
    # first use without a snapshot) and what a handler asked for
    built = []
    monkeypatch.setattr(snapstart, "tracer", lambda: built.append(True))
    monkeypatch.setattr(snapstart, "_steps", [])

    class Deferred(Schema):
        n: int

    assert Deferred.__pydantic_complete__ is False  # not built at class creation
    step = lambda: built.append("step")  # noqa: E731
    snapstart.before_snapshot(step)
    snapstart.before_snapshot(step)  # the same step twice (a handler module loaded again) runs once
    snapstart.prime()
    assert built == [True, "step"]
    assert Deferred.__pydantic_complete__ is True and Deferred(n="3").n == 3
    # two environments restored from one snapshot (same random state) draw different numbers
    random.seed(7)
    state = random.getstate()
    snapstart.after_restore()
    first = random.random()
    random.setstate(state)
    snapstart.after_restore()
    assert random.random() != first
