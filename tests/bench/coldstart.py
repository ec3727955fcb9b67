"""Cold-start cost of every function, held to the stack row of its kind measured in the same run.

For each function of ``discover()``, a fresh interpreter imports ``functions/<name>/handler.py`` by
path (as Lambda imports the handler module: the function folder first on ``sys.path``), N times, and
the table shows the median. The rule (issue 21): a function costs at most 1.10x the stack row of its
kind (``http``, ``queue``, ``sched``): the libraries such a function must load, with no Lily code, each
row measured in fresh interpreters in the same run. A function that imports a library at init on
purpose (its main path uses it; with SnapStart it lands in the snapshot) declares it in its wiring
(``FunctionSpec.primes``), and its row is held to a stack row of its kind plus those libraries, named in
the ``held to`` column; a declared library that the handler does not load at init makes the row fail
(``NOT PRIMED``): the declaration may not inflate the stack. Runs are interleaved (the reference rows,
then each function, N rounds), and each function run is paired with a run of its stack row just before it: the
``x stack`` columns are the median of those pairs' ratios, so a machine that speeds up or slows down during a
round (measured on a shared host: the stack rows 33 % faster in one run than in another an hour apart, the
functions 8 %) moves both sides of each ratio alike. The floors ``import boto3``
and ``import boto3, fastapi`` are printed as context (``x floor``), not held to. A measurement: the exit
status is non-zero when a handler cannot be imported, and with ``--strict`` when a row is over.

    make bench-coldstart              # or: .venv/bin/python tests/bench/coldstart.py -n 5
    .venv/bin/python tests/bench/coldstart.py --only health --no-bytecode-cache --clock wall

Times are the interpreter's CPU time by default (``--clock cpu``): on a shared machine wall time
mostly measures the neighbours; on an idle one the two agree. Each row's figure is the median of its N runs.
CPU time still grows under contention (shared caches, SMT siblings, clock changes): on a loaded two-core machine a
row's ratio moved by up to 0.3 between two runs of ``-n 5`` (the minimum instead of the median was no steadier),
so read a verdict near 1.10 against a second run, or measure on a quiet machine. Deployed functions run with SnapStart
(``infra``), so in the cloud a cold start resumes a snapshot taken after these imports; this bench
is what a function without a snapshot (local mode, a first publish) pays.

A handler that defers work to its first request would look cheap here and pay later, so every function is
also measured through its first invocation (``first call`` columns): the same fresh interpreter imports the
handler, then calls it once with the function's sample event (``events/<name>.json``: a typical request or
batch), and the clock covers both. AWS endpoints point at a closed local port, so the invocation pays every
import and model build its code path triggers up to its first AWS call, which fails at once (a refused
connection costs no CPU); the difference to the import column is what the first request adds. Each reference
row's first call adds one DynamoDB client and one (refused) request, and an HTTP stack row's one request through its
app by Mangum, as Lambda invokes an HTTP function. The 1.10x rule applies to both columns.

Handlers pause the garbage collector during their init (``lily.core.gc_pause``); floors and stack rows run with it
on, as a bare import does (with it paused they cost about a tenth less).

Bytecode: by default every interpreter (reference rows and functions alike) reads one ``pycache_prefix`` that a
first, unrecorded round fills, so every row runs with its bytecode cached, Lily's modules included (the Makefile's
``PYTHONDONTWRITEBYTECODE`` would otherwise leave Lily's modules, and only them, compiled from source in every
run). ``--no-bytecode-cache`` gives every run an empty ``pycache_prefix``, so every module is compiled from source:
closer to Lambda, whose read-only ``/opt`` holds no ``.pyc`` for the layer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "shared"))

# Enough configuration for every handler to import; no network is touched at import time.
BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",  # noqa: S105 - dummy credentials
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "LILY_STAGE": "bench",
    "LILY_RESOURCE_PREFIX": "lily-bench-",
    "LILY_KMS_KEY_ID": "alias/lily-bench-data",
    "LILY_MEDIA_BUCKET": "lily-bench-media",
    "LILY_OFFLINE": "false",
    "LILY_LOG_LEVEL": "INFO",
    "LILY_CORS_ORIGINS": "[]",
    "LILY_PUBLIC_BASE_URL": "https://api.example.com",
    "POWERTOOLS_SERVICE_NAME": "lily",
    "POWERTOOLS_METRICS_NAMESPACE": "Lily",
    "POWERTOOLS_TRACE_DISABLED": "1",
    # First invocations: every AWS and third-party call is refused at once (nothing listens on port 9).
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
}
EVENTS = ROOT / "events"

# Installed in the dev venv by dev tools (import-linter, pytest), absent from the Lambda layer. httpx imports its
# command line (rich, click) whenever they are importable, so the bench hides them from every row (functions and
# reference rows alike) as the layer does.
DEV_ONLY = ("rich", "click", "pygments")

IMPORT_HANDLER = """
import importlib.util, json, sys, time
folder, name, event_path, primes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
sys.modules.update(dict.fromkeys(sys.argv[5:]))  # dev-only packages: not importable, as in the layer
sys.path.insert(0, folder)
t0, c0 = time.perf_counter(), time.process_time()
spec = importlib.util.spec_from_file_location("handler", folder + "/handler.py")
module = importlib.util.module_from_spec(spec)
sys.modules["handler"] = module
spec.loader.exec_module(module)
t1, c1 = time.perf_counter(), time.process_time()
handler = getattr(module, name)
assert callable(handler), "no handler callable " + name
result = {"wall": (t1 - t0) * 1000, "cpu": (c1 - c0) * 1000, "modules": len(sys.modules),
          "unprimed": [m for m in primes if m not in sys.modules]}  # declared primed, not loaded at init
if event_path:
    import logging
    logging.disable(logging.CRITICAL)  # the refused AWS calls log errors; printing them is not the function's cost

    class Context:  # what Lambda hands a handler
        function_name, function_version, memory_limit_in_mb = "bench", "$LATEST", 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
        aws_request_id, log_group_name, log_stream_name = "bench-request", "/aws/lambda/bench", "bench"

        def get_remaining_time_in_millis(self):
            return 30000

    with open(event_path) as f:
        event = json.load(f)
    t2, c2 = time.perf_counter(), time.process_time()
    try:
        handler(event, Context())
    except Exception:  # noqa: S110 - a failing first call still paid for what it imported
        pass
    t3, c3 = time.perf_counter(), time.process_time()
    result.update(first_wall=(t3 - t2) * 1000 + result["wall"], first_cpu=(c3 - c2) * 1000 + result["cpu"],
                  first_modules=len(sys.modules))
print(json.dumps(result))
"""

IMPORT_FLOOR = """
import json, sys, time
sys.modules.update(dict.fromkeys(sys.argv[3:]))  # dev-only packages: not importable, as in the layer
t0, c0 = time.perf_counter(), time.process_time()
exec(sys.argv[2])
t1, c1 = time.perf_counter(), time.process_time()
result = {"wall": (t1 - t0) * 1000, "cpu": (c1 - c0) * 1000, "modules": len(sys.modules)}
if sys.argv[1]:  # the first call of any function that talks to AWS: one DynamoDB client, one (refused) request
    import boto3, botocore.config, botocore.exceptions
    config = botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=1)
    try:
        boto3.client("dynamodb", config=config).get_item(TableName="t", Key={"pk": {"S": "k"}})
    except botocore.exceptions.BotoCoreError:
        pass
    if "app" in globals():  # an HTTP stack: one request through its app as Lambda sends it (Mangum, Starlette's
        import mangum       # thread pool and anyio's backend, which every HTTP function's first request loads)

        class Context:
            function_name, memory_limit_in_mb, aws_request_id = "bench", 512, "bench-request"
            invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"

            def get_remaining_time_in_millis(self):
                return 30000

        event = {"version": "2.0", "routeKey": "$default", "rawPath": "/things/a", "rawQueryString": "",
                 "headers": {"host": "bench"}, "isBase64Encoded": False,
                 "requestContext": {"http": {"method": "GET", "path": "/things/a", "protocol": "HTTP/1.1",
                                             "sourceIp": "127.0.0.1", "userAgent": "bench"},
                                    "requestId": "bench", "routeKey": "$default", "stage": "$default"}}
        mangum.Mangum(app, lifespan="off")(event, Context())
    t3, c3 = time.perf_counter(), time.process_time()
    result.update(first_wall=(t3 - t0) * 1000, first_cpu=(c3 - c0) * 1000, first_modules=len(sys.modules))
print(json.dumps(result))
"""

# context rows (no verdict): what every Python Lambda pays, and what an HTTP framework adds
FLOORS = {"import boto3": "import boto3", "import boto3, fastapi": "import boto3, fastapi"}
# The reference of each kind: the libraries every function of that kind must use, before any Lily code (issue 10
# item 6 prescribes the parser models). A function is held to its kind's row (plus what it primes) times LIMIT.
STACKS = {
    "stack: scheduled job": """
import boto3, pynamodb.models
from aws_lambda_powertools import Logger, Metrics
from pydantic import BaseModel
class Message(BaseModel):
    id: str
""",
    "stack: queue worker": """
import boto3, pynamodb.models
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, Json
class Message(BaseModel):
    id: str
class Record(SqsRecordModel):
    body: Json[Message]
""",
    "stack: HTTP, signed-in": """
import boto3, fastapi, jwt, mangum, pynamodb.models
from aws_lambda_powertools import Logger, Metrics
from pydantic import BaseModel
class Out(BaseModel):
    id: str
app = fastapi.FastAPI()
@app.get("/things/{thing_id}", response_model=Out)
def thing(thing_id: str) -> Out:
    return Out(id=thing_id)
""",
}
WORKER_FLOOR, HTTP_FLOOR = "import boto3", "import boto3, fastapi"
# a function's kind -> the floor printed beside it, and the stack row it is held to
FLOOR_OF_KIND = {"http": HTTP_FLOOR, "queue": WORKER_FLOOR, "sched": WORKER_FLOOR}
STACK_OF_KIND = {"http": "stack: HTTP, signed-in", "queue": "stack: queue worker", "sched": "stack: scheduled job"}
LIMIT = 1.10  # the most a function may cost, as a multiple of its stack row (issue 21, item 5)


def stack_rows(specs) -> tuple[dict[str, str], dict[str, str]]:
    """The stack rows to measure (name -> code) and the row each function is held to (function -> row name):
    its kind's row, or that row plus the libraries the function primes (``FunctionSpec.primes``)."""
    rows, held_to = dict(STACKS), {}
    for spec in specs:
        base = STACK_OF_KIND[kind_of(spec)]
        if not spec.primes:
            held_to[spec.name] = base
            continue
        name = f"{base} + {', '.join(spec.primes)}"
        rows[name] = STACKS[base] + "".join(f"import {module}\n" for module in spec.primes)
        held_to[spec.name] = name
    return rows, held_to


def kind_of(spec) -> str:
    from lily.core.functions import Http, Queue

    return "http" if isinstance(spec.trigger, Http) else "queue" if isinstance(spec.trigger, Queue) else "sched"


def _env(function_count: int) -> dict[str, str]:
    dropped = ("no_proxy", "http_proxy", "https_proxy", "all_proxy", "pythondontwritebytecode")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LILY_", "AWS_", "POWERTOOLS_")) and k.lower() not in dropped}
    env.update(BENCH_ENV)
    env["LILY_FUNCTION_COUNT"] = str(function_count)
    return env


def _run(code: str, args: list[str], env: dict[str, str], cache: str | None) -> dict:
    """One fresh interpreter; ``cache`` is the shared bytecode cache, None for an empty one of its own."""
    with tempfile.TemporaryDirectory() as empty:
        cmd = [sys.executable, "-X", f"pycache_prefix={cache or empty}"]
        proc = subprocess.run([*cmd, "-c", code, *args], env=env, capture_output=True, text=True,  # noqa: S603
                              timeout=300, cwd=ROOT)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _record(result: dict, name: str, clock: str, rows: dict, first: dict, modules: dict, first_modules: dict) -> None:
    rows[name].append(result[clock])
    modules[name] = result["modules"]
    if f"first_{clock}" in result:
        first.setdefault(name, []).append(result[f"first_{clock}"])
        first_modules[name] = result["first_modules"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", "--runs", type=int, default=5, help="fresh interpreters per row (default 5)")
    parser.add_argument("--only", action="append", default=[], help="function name (repeatable)")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="compile every module from source")
    parser.add_argument("--no-first-call", action="store_true", help="measure the handler import only")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    parser.add_argument("--strict", action="store_true", help="exit non-zero when a row is over its limit")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="cpu: the interpreter's CPU time (default; steady on a shared machine, where wall "
                             "time mostly measures the neighbours); wall: elapsed time")
    args = parser.parse_args(argv)

    from lily.core.functions import discover

    specs = [s for s in discover() if not args.only or s.name in args.only]
    kinds = {s.name: kind_of(s) for s in specs}
    references, held_to = stack_rows(specs)
    env = _env(len(discover()))
    rows: dict[str, list[float]] = {name: [] for name in (*FLOORS, *references)}
    first: dict[str, list[float]] = {}
    modules: dict[str, int] = {}
    first_modules: dict[str, int] = {}
    unprimed: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    rows.update({s.name: [] for s in specs})
    paired: dict[str, list[float]] = {s.name: [] for s in specs}  # function / its stack row run just before it
    paired_first: dict[str, list[float]] = {s.name: [] for s in specs}

    with tempfile.TemporaryDirectory() as shared_cache:
        cache = None if args.no_bytecode_cache else shared_cache
        # round 0 fills the shared bytecode cache and is not recorded (with --no-bytecode-cache there is none)
        for round_ in range(max(1, args.runs) + (0 if args.no_bytecode_cache else 1)):
            record = args.no_bytecode_cache or round_ > 0
            for name, code in (FLOORS | references).items():
                result = _run(IMPORT_FLOOR, ["" if args.no_first_call else "call", code, *DEV_ONLY], env, cache)
                if record:
                    _record(result, name, args.clock, rows, first, modules, first_modules)
            for spec in specs:
                if spec.name in errors:
                    continue
                module, _, attr = spec.handler.rpartition(".")
                if module != "handler":
                    errors[spec.name] = f"handler {spec.handler!r} is not in handler.py"
                    continue
                event = EVENTS / f"{spec.name}.json"
                event_arg = "" if args.no_first_call or not event.exists() else str(event)
                # its stack row again, just before it: the pair sees the machine at the same moment
                stack_now = _run(IMPORT_FLOOR, ["" if args.no_first_call else "call", references[held_to[spec.name]],
                                                *DEV_ONLY], env, cache)
                try:
                    result = _run(IMPORT_HANDLER, [str(spec.folder), attr, event_arg, " ".join(spec.primes),
                                                   *DEV_ONLY], env, cache)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    errors[spec.name] = str(exc)
                    continue
                if result["unprimed"]:
                    unprimed[spec.name] = result["unprimed"]
                if record:
                    _record(result, spec.name, args.clock, rows, first, modules, first_modules)
                    paired[spec.name].append(result[args.clock] / stack_now[args.clock])
                    if f"first_{args.clock}" in result and f"first_{args.clock}" in stack_now:
                        paired_first[spec.name].append(result[f"first_{args.clock}"] / stack_now[f"first_{args.clock}"])

    med = {name: statistics.median(times) for name, times in rows.items() if times}
    first_med = {name: statistics.median(times) for name, times in first.items() if times}
    mode = "no bytecode cache" if args.no_bytecode_cache else "bytecode cached for every row"
    print(f"Cold-start cost, {args.clock} ms, median of {args.runs} fresh interpreters ({mode}), "
          f"Python {sys.version.split()[0]}")
    print(f"Rule: a function <= {LIMIT:.2f}x the stack row it is held to, for the import and for import + first call.")
    width = max(len(name) for name in (*FLOORS, *references)) + 2
    print(f"{'reference row':<{width}}{'import ms':>10}{'modules':>8}{'first call ms':>15}")
    for name in (*FLOORS, *references):
        first_txt = f"{first_med[name]:>15.1f}" if name in first_med else ""
        print(f"{name:<{width}}{med[name]:>10.1f}{modules.get(name, ''):>8}{first_txt}")
    print()
    print(f"{'':<28}{'------- handler import --------':<33}{'-- import + first call --':<27}")
    print(f"{'function':<22}{'kind':<6}{'ms':>8}{'x stack':>9}{'x floor':>9}{'modules':>8}{'ms':>10}{'x stack':>9}"
          f"{'modules':>8}  {'verdict':<11}held to")
    print("-" * 132)
    results, over = {}, []
    for spec in specs:
        name = spec.name
        if name in errors:
            print(f"{name:<22}{'ERROR':>13}  {errors[name][:90]}")
            continue
        kind, stack, floor = kinds[name], held_to[name], FLOOR_OF_KIND[kinds[name]]
        ratio, floor_ratio = statistics.median(paired[name]), med[name] / med[floor]
        first_ratio = statistics.median(paired_first[name]) if paired_first[name] else None
        ok = ratio <= LIMIT and (first_ratio is None or first_ratio <= LIMIT)
        verdict = "NOT PRIMED" if name in unprimed else "ok" if ok else "OVER"
        if verdict != "ok":
            over.append(name)
        first_txt = (f"{first_med[name]:>10.1f}{first_ratio:>9.2f}{first_modules.get(name, ''):>8}"
                     if first_ratio is not None else f"{'':>27}")
        print(f"{name:<22}{kind:<6}{med[name]:>8.1f}{ratio:>9.2f}{floor_ratio:>9.2f}{modules.get(name, ''):>8}"
              f"{first_txt}  {verdict:<11}{stack}")
        results[name] = {"kind": kind, "held_to": stack, "primes": list(spec.primes),
                         "verdict": verdict, "median_ms": round(med[name], 1), "ratio_to_stack": round(ratio, 2),
                         "ratio_to_floor": round(floor_ratio, 2), "floor": floor,
                         "first_call_median_ms": round(first_med[name], 1) if name in first_med else None,
                         "first_call_ratio_to_stack": None if first_ratio is None else round(first_ratio, 2),
                         "unprimed": unprimed.get(name, []),
                         "modules": modules.get(name), "first_call_modules": first_modules.get(name),
                         "runs_ms": [round(t, 1) for t in rows[name]],
                         "paired_ratios": [round(r, 3) for r in paired[name]],
                         "first_call_paired_ratios": [round(r, 3) for r in paired_first[name]],
                         "first_call_runs_ms": [round(t, 1) for t in first.get(name, [])]}
    print(f"'x stack': median of each run's ratio to a run of the row named in 'held to' just before it (its kind's "
          f"libraries,\n  no Lily code; '+ lib': the libraries the function primes, FunctionSpec.primes); limit "
          f"{LIMIT:.2f}x for both\n  columns. 'x floor': the import against {WORKER_FLOOR!r} (workers) or "
          f"{HTTP_FLOOR!r} (HTTP), context only.")
    for name, libs in unprimed.items():
        print(f"  {name}: declares {', '.join(libs)} primed, but its handler does not load it at init")
    print(f"over the limit: {', '.join(over) if over else 'none'}")
    if args.json:
        print(json.dumps({"clock": args.clock, "limit": LIMIT, "mode": mode,
                          "references": {name: med[name] for name in (*FLOORS, *references) if name in med},
                          "first_call_references": {name: first_med[name] for name in (*FLOORS, *references)
                                                    if name in first_med},
                          "reference_runs_ms": {name: [round(t, 1) for t in rows[name]]
                                                for name in (*FLOORS, *references)},
                          "first_call_reference_runs_ms": {name: [round(t, 1) for t in first.get(name, [])]
                                                           for name in (*FLOORS, *references)},
                          "results": results, "errors": errors}, indent=2))
    return 1 if errors or (args.strict and over) else 0


if __name__ == "__main__":
    sys.exit(main())
