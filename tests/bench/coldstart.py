"""Cold-start import cost of every function, against ``import boto3`` measured in the same run.

For each function of ``discover()``, a fresh interpreter imports ``functions/<name>/handler.py`` by
path (as Lambda imports the handler module: the function folder first on ``sys.path``), N times;
the table shows the median, and its ratio to the median of ``import boto3`` in a fresh
interpreter, the floor every Python Lambda pays. Runs are interleaved (boto3, then each function,
N rounds) so that machine noise hits every row alike. A measurement, not a test: nothing here
passes or fails on a number; a handler that cannot be imported at all is reported and makes the
exit status non-zero.

    make bench-coldstart              # or: .venv/bin/python tests/bench/coldstart.py -n 5
    .venv/bin/python tests/bench/coldstart.py --only health --no-bytecode-cache

``--no-bytecode-cache`` gives every run an empty ``pycache_prefix``, so every module is compiled
from source: closer to Lambda, whose read-only ``/opt`` holds no ``.pyc`` for the layer.
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
}

IMPORT_HANDLER = """
import importlib.util, json, sys, time
folder, name = sys.argv[1], sys.argv[2]
sys.path.insert(0, folder)
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler", folder + "/handler.py")
module = importlib.util.module_from_spec(spec)
sys.modules["handler"] = module
spec.loader.exec_module(module)
t1 = time.perf_counter()
assert callable(getattr(module, name)), "no handler callable " + name
print(json.dumps({"ms": (t1 - t0) * 1000, "modules": len(sys.modules)}))
"""

IMPORT_BOTO3 = """
import json, sys, time
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
print(json.dumps({"ms": (t1 - t0) * 1000, "modules": len(sys.modules)}))
"""


def _env(function_count: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LILY_", "AWS_", "POWERTOOLS_"))}
    env.update(BENCH_ENV)
    env["LILY_FUNCTION_COUNT"] = str(function_count)
    return env


def _run(code: str, args: list[str], env: dict[str, str], no_cache: bool) -> dict:
    cmd = [sys.executable]
    with tempfile.TemporaryDirectory() as cache:
        if no_cache:
            cmd += ["-X", f"pycache_prefix={cache}"]
        proc = subprocess.run([*cmd, "-c", code, *args], env=env, capture_output=True, text=True,  # noqa: S603
                              timeout=120, cwd=ROOT)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", "--runs", type=int, default=5, help="fresh interpreters per row (default 5)")
    parser.add_argument("--only", action="append", default=[], help="function name (repeatable)")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="compile every module from source")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)

    from lily.core.functions import discover

    specs = [s for s in discover() if not args.only or s.name in args.only]
    env = _env(len(discover()))
    rows: dict[str, list[float]] = {"import boto3": []}
    modules: dict[str, int] = {}
    errors: dict[str, str] = {}
    rows.update({s.name: [] for s in specs})

    for _ in range(max(1, args.runs)):
        result = _run(IMPORT_BOTO3, [], env, args.no_bytecode_cache)
        rows["import boto3"].append(result["ms"])
        modules["import boto3"] = result["modules"]
        for spec in specs:
            if spec.name in errors:
                continue
            module, _, attr = spec.handler.rpartition(".")
            if module != "handler":
                errors[spec.name] = f"handler {spec.handler!r} is not in handler.py"
                continue
            try:
                result = _run(IMPORT_HANDLER, [str(spec.folder), attr], env, args.no_bytecode_cache)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                errors[spec.name] = str(exc)
                continue
            rows[spec.name].append(result["ms"])
            modules[spec.name] = result["modules"]

    baseline = statistics.median(rows["import boto3"])
    mode = "no bytecode cache" if args.no_bytecode_cache else "bytecode cache warm"
    print(f"Cold-start imports, median of {args.runs} fresh interpreters ({mode}), "
          f"Python {sys.version.split()[0]}")
    print(f"{'function':<28}{'median ms':>12}{'x boto3':>10}{'modules':>10}")
    print("-" * 60)
    results = {}
    for name, times in rows.items():
        if name in errors:
            print(f"{name:<28}{'ERROR':>12}  {errors[name][:90]}")
            continue
        median = statistics.median(times)
        results[name] = {"median_ms": round(median, 1), "ratio_to_boto3": round(median / baseline, 2),
                         "modules": modules.get(name), "runs_ms": [round(t, 1) for t in times]}
        print(f"{name:<28}{median:>12.1f}{median / baseline:>10.2f}{modules.get(name, 0):>10}")
    if args.json:
        print(json.dumps({"baseline": "import boto3", "mode": mode, "results": results, "errors": errors}, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
