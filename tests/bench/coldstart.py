"""Cold-start import cost of every function, against two floors measured in the same run.

For each function of ``discover()``, a fresh interpreter imports ``functions/<name>/handler.py`` by
path (as Lambda imports the handler module: the function folder first on ``sys.path``), N times;
the table shows the median and its ratio to the floor of its kind, each the median of fresh
interpreters in the same run: ``import boto3`` for queue and scheduled workers (what every Python
Lambda pays), ``import boto3, fastapi`` for HTTP functions. The targets (issue 10) are a worker at
most 1.3x its floor and an HTTP function at most 1.15x its floor; the last column says which rows
are over. Runs are interleaved (the floors, then each function, N rounds) so that machine noise hits
every row alike. A measurement, not a test: nothing here fails on a number; a handler that cannot be
imported at all is reported and makes the exit status non-zero.

    make bench-coldstart              # or: .venv/bin/python tests/bench/coldstart.py -n 5
    .venv/bin/python tests/bench/coldstart.py --only health --no-bytecode-cache --clock wall

Times are the interpreter's CPU time by default (``--clock cpu``): on a shared machine wall time
mostly measures the neighbours; on an idle one the two agree. Deployed functions run with SnapStart
(``infra``), so in the cloud a cold start resumes a snapshot taken after these imports; this bench
is what a function without a snapshot (local mode, a first publish) pays.

A handler that defers work to its first request would look cheap here and pay later, so every function is
also measured through its first invocation (``first call`` columns): the same fresh interpreter imports the
handler, then calls it once with the function's sample event (``events/<name>.json``: a typical request or
batch), and the clock covers both. AWS endpoints point at a closed local port, so the invocation pays every
import and model build its code path triggers up to its first AWS call, which fails at once (a refused
connection costs no CPU); the difference to the import column is what the first request adds. Targets
apply to both columns.

Each function row also shows its kind (``http``, ``queue``, ``sched``) and ``x stack``: its cost against the
``stack: ...`` row of its kind, the libraries such a function must load with no Lily code (no target; what is left
to win in Lily's own code); the lines under the table give each kind's floor and stack row. Handlers pause the
garbage collector during their init (``lily.core.gc_pause``); floors and stack rows run with it on.

Bytecode: by default every interpreter (floors and functions alike) reads one ``pycache_prefix`` that a first,
unrecorded round fills, so every row runs with its bytecode cached, Lily's modules included (the Makefile's
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
# command line (rich, click) whenever they are importable, so the bench hides them as the layer does.
DEV_ONLY = ("rich", "click", "pygments")

IMPORT_HANDLER = """
import importlib.util, json, sys, time
folder, name, event_path = sys.argv[1], sys.argv[2], sys.argv[3]
sys.modules.update(dict.fromkeys(sys.argv[4:]))  # dev-only packages: not importable, as in the layer
sys.path.insert(0, folder)
t0, c0 = time.perf_counter(), time.process_time()
spec = importlib.util.spec_from_file_location("handler", folder + "/handler.py")
module = importlib.util.module_from_spec(spec)
sys.modules["handler"] = module
spec.loader.exec_module(module)
t1, c1 = time.perf_counter(), time.process_time()
handler = getattr(module, name)
assert callable(handler), "no handler callable " + name
result = {"wall": (t1 - t0) * 1000, "cpu": (c1 - c0) * 1000, "modules": len(sys.modules)}
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
    t3, c3 = time.perf_counter(), time.process_time()
    result.update(first_wall=(t3 - t0) * 1000, first_cpu=(c3 - c0) * 1000, first_modules=len(sys.modules))
print(json.dumps(result))
"""

# floor row -> the modules it imports
FLOORS = {"import boto3": "import boto3", "import boto3, fastapi": "import boto3, fastapi"}
# Not floors, no verdict: what the libraries every function of a kind must use cost before any Lily code, printed
# so that a row over target can be read against what is left to win (issue 10 item 6 prescribes the parser models).
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
# a function's kind -> the floor it is held to, and the stack row of the libraries that kind must load
FLOOR_OF_KIND = {"http": HTTP_FLOOR, "queue": WORKER_FLOOR, "sched": WORKER_FLOOR}
STACK_OF_KIND = {"http": "stack: HTTP, signed-in", "queue": "stack: queue worker", "sched": "stack: scheduled job"}
# the most a function may cost, as a multiple of its floor (issue 10, item 7)
TARGETS = {WORKER_FLOOR: 1.3, HTTP_FLOOR: 1.15}


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
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="cpu: the interpreter's CPU time (default; steady on a shared machine, where wall "
                             "time mostly measures the neighbours); wall: elapsed time")
    args = parser.parse_args(argv)

    from lily.core.functions import Http, Queue, discover

    specs = [s for s in discover() if not args.only or s.name in args.only]
    kind_of = {s.name: "http" if isinstance(s.trigger, Http) else "queue" if isinstance(s.trigger, Queue) else "sched"
               for s in specs}
    env = _env(len(discover()))
    rows: dict[str, list[float]] = {name: [] for name in (*FLOORS, *STACKS)}
    first: dict[str, list[float]] = {}
    modules: dict[str, int] = {}
    first_modules: dict[str, int] = {}
    errors: dict[str, str] = {}
    rows.update({s.name: [] for s in specs})

    with tempfile.TemporaryDirectory() as shared_cache:
        cache = None if args.no_bytecode_cache else shared_cache
        # round 0 fills the shared bytecode cache and is not recorded (with --no-bytecode-cache there is none)
        for round_ in range(max(1, args.runs) + (0 if args.no_bytecode_cache else 1)):
            record = args.no_bytecode_cache or round_ > 0
            for name, code in (FLOORS | STACKS).items():
                result = _run(IMPORT_FLOOR, ["" if args.no_first_call else "call", code], env, cache)
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
                try:
                    result = _run(IMPORT_HANDLER, [str(spec.folder), attr, event_arg, *DEV_ONLY], env, cache)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    errors[spec.name] = str(exc)
                    continue
                if record:
                    _record(result, spec.name, args.clock, rows, first, modules, first_modules)

    floors = {name: statistics.median(rows[name]) for name in FLOORS}
    first_floors = {name: statistics.median(first[name]) for name in FLOORS if name in first}
    stacks = {name: statistics.median(rows[name]) for name in STACKS}
    first_stacks = {name: statistics.median(first[name]) for name in STACKS if name in first}
    mode = "no bytecode cache" if args.no_bytecode_cache else "bytecode cached for every row"
    print(f"Cold-start cost, {args.clock} ms, median of {args.runs} fresh interpreters ({mode}), "
          f"Python {sys.version.split()[0]}")
    print(f"{'':<28}{'---------------- handler import ----------------':<56}"
          f"{'------- import + first call -------':<40}")
    print(f"{'function':<22}{'kind':<6}{'ms':>7}{'x boto3':>9}{'x b3+fastapi':>14}{'x stack':>9}{'modules':>8}"
          f"{'':>6}{'ms':>8}{'x floor':>9}{'x stack':>9}{'modules':>8}{'':>6}")
    print("-" * 124)
    results = {}
    over = []
    for name, times in rows.items():
        if name in errors:
            print(f"{name:<22}{'ERROR':>13}  {errors[name][:90]}")
            continue
        median = statistics.median(times)
        ratios = [median / floors[WORKER_FLOOR], median / floors[HTTP_FLOOR]]
        kind = kind_of.get(name, "")
        floor = (FLOOR_OF_KIND[kind] if kind else
                 HTTP_FLOOR if "HTTP" in name else WORKER_FLOOR if name in STACKS else None)
        stack = STACK_OF_KIND[kind] if kind else None
        target = TARGETS[floor] if kind else None
        ratio = median / floors[floor] if floor else None
        stack_ratio = median / stacks[stack] if stack else None
        verdict = "" if target is None else ("ok" if ratio <= target else "OVER")
        first_median = statistics.median(first[name]) if name in first else None
        first_ratio = first_median / first_floors[floor] if floor and name in first and floor in first_floors else None
        first_stack_ratio = (first_median / first_stacks[stack]
                             if stack and first_median is not None and stack in first_stacks else None)
        first_verdict = "" if target is None or first_ratio is None else ("ok" if first_ratio <= target else "OVER")
        if "OVER" in (verdict, first_verdict):
            over.append(name)
        results[name] = {"median_ms": round(median, 1), "ratio_to_boto3": round(ratios[0], 2),
                         "ratio_to_boto3_fastapi": round(ratios[1], 2), "floor": floor, "target": target,
                         "within_target": None if target is None else verdict == "ok",
                         "stack": stack, "ratio_to_stack": None if stack_ratio is None else round(stack_ratio, 2),
                         "first_call_median_ms": None if first_median is None else round(first_median, 1),
                         "first_call_ratio": None if first_ratio is None else round(first_ratio, 2),
                         "first_call_ratio_to_stack":
                             None if first_stack_ratio is None else round(first_stack_ratio, 2),
                         "first_call_within_target": None if not first_verdict else first_verdict == "ok",
                         "modules": modules.get(name), "first_call_modules": first_modules.get(name),
                         "runs_ms": [round(t, 1) for t in times],
                         "first_call_runs_ms": [round(t, 1) for t in first.get(name, [])]}
        mark = {WORKER_FLOOR: (" *", "  "), HTTP_FLOOR: ("  ", " *")}.get(floor or "", ("  ", "  "))
        stack_txt = f"{stack_ratio:>9.2f}" if stack_ratio is not None else f"{'':>9}"
        first_txt = f"{first_median:>8.1f}" if first_median is not None else f"{'':>8}"
        first_txt += f"{first_ratio:>9.2f}" if first_ratio is not None else f"{'':>9}"
        first_txt += f"{first_stack_ratio:>9.2f}" if first_stack_ratio is not None else f"{'':>9}"
        first_txt += f"{first_modules.get(name, ''):>8}"
        print(f"{name:<22}{kind:<6}{median:>7.1f}{ratios[0]:>7.2f}{mark[0]}{ratios[1]:>12.2f}{mark[1]}{stack_txt}"
              f"{modules.get(name, 0):>8}{verdict:>6}{first_txt}{first_verdict:>6}")
    print("* the floor the row is held to: workers x boto3 <= 1.30, HTTP functions x boto3+fastapi <= 1.15. "
          "'x floor': the\n  first call against the same floor's first call (its imports, then one DynamoDB client "
          "and one refused request),\n  held to the same target. 'x stack': against the stack row of the function's "
          "kind (the libraries it\n  must load, no Lily code; no target): what is left to win in Lily's own code.")
    for kind, stack in STACK_OF_KIND.items():
        floor = FLOOR_OF_KIND[kind]
        first_txt = (f"; first call {first_floors[floor]:.1f} / {first_stacks[stack]:.1f} ms"
                     if floor in first_floors and stack in first_stacks else "")
        print(f"  {kind:<6} floor {floor!r} {floors[floor]:.1f} ms, {stack!r} {stacks[stack]:.1f} ms "
              f"({stacks[stack] / floors[floor]:.2f}x floor){first_txt}")
    print(f"over target: {', '.join(over) if over else 'none'}")
    if args.json:
        print(json.dumps({"clock": args.clock, "floors": floors, "first_call_floors": first_floors,
                          "stacks": stacks, "first_call_stacks": first_stacks,
                          "targets": TARGETS, "mode": mode, "results": results,
                          "errors": errors}, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
