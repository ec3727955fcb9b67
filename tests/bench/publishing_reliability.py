"""Bench: the publishing reliability harness at a larger N (a measurement, not a test).

    .venv/bin/python tests/bench/publishing_reliability.py [N] [SEED]      # default 10000, seed 42
    LILY_BENCH_FAULTS=0 .venv/bin/python tests/bench/publishing_reliability.py 100   # no faults: calls per post
    LILY_BENCH_TIMEOUT_S=2400 ... 10000    # stop the run phase then and report what it reached (default N*0.6 s)
    LILY_BENCH_UNTIL=$(date -d 12:05 +%s) ... 10000    # or at that instant, setup included

Starts moto (in a process of its own unless ``LILY_BENCH_EMULATOR=thread``; either way with writes
serialized per item, see :mod:`lily.local.emulator`), provisions a deployment, starts the X and LinkedIn
sandboxes, signs up an owner and runs
:func:`tests.reliability.harness.run` with as many publisher workers as the deployed publisher's reserved
concurrency (``LILY_BENCH_WORKERS`` overrides it), printing counts (published / failed / lost / duplicated),
429s (injected vs Lily's own), pacing violations and publish lag p50/p99.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _chaos(seed: int):
    """The harness's fault mix, or none at all with ``LILY_BENCH_FAULTS=0`` (to count calls per post)."""
    from tests.reliability import harness

    if os.environ.get("LILY_BENCH_FAULTS", "1") == "0":
        return harness.Chaos(p_fault=0, p_crash=0, crash_at=0, p_duplicate=0, rng=random.Random(seed))
    return harness.Chaos(rng=random.Random(seed))


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb(emulator) -> float:
    """Resident memory of the emulator's own process (0 when it runs in this one)."""
    proc = getattr(emulator, "proc", None)
    if proc is None:
        return 0.0
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(emulator) -> float:
    """CPU seconds the emulator's own process used so far (0 when it runs in this one)."""
    proc = getattr(emulator, "proc", None)
    if proc is None:
        return 0.0
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def publisher_workers() -> int:
    """``LILY_BENCH_WORKERS``, else the publisher's declared reserved concurrency: as many batches at once as
    the deployed function runs (``functions/publisher/wiring.py``)."""
    from lily.core.functions import discover

    if os.environ.get("LILY_BENCH_WORKERS"):
        return int(os.environ["LILY_BENCH_WORKERS"])
    declared = next(s for s in discover() if s.name == "publisher").reserved_concurrency
    assert declared, "functions/publisher/wiring.py declares the publisher's reserved concurrency"
    return declared


def _items_by_table() -> dict[str, int]:
    """Items the emulator holds per table (what its memory grows with)."""
    from lily.core.aws import client

    ddb = client("dynamodb")
    counts = {name: ddb.describe_table(TableName=name)["Table"]["ItemCount"]
              for name in ddb.list_tables()["TableNames"]}
    return {k: v for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v}


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 42
    from tests.bench.deployment import emulator_process, enterprise_org, local_deployment

    local_deployment("bench")
    if os.environ.get("LILY_BENCH_EMULATOR", "process") == "process" and not os.environ.get("AWS_ENDPOINT_URL"):
        emulator = emulator_process()
    else:
        from lily.local.runner import start_emulator

        emulator = start_emulator()
    from tests.reliability import harness

    try:
        with enterprise_org() as d:
            emulator_cpu = _cpu_s(emulator)
            timeout_s = float(os.environ.get("LILY_BENCH_TIMEOUT_S", max(120, n * 0.6)))
            until = float(os.environ["LILY_BENCH_UNTIL"]) if os.environ.get("LILY_BENCH_UNTIL") else None
            workers = publisher_workers()
            report = harness.run(n, d.http, d.suite, d.sandboxes, d.headers, d.org_id, timeout_s=timeout_s,
                                 until=until, spread_s=max(20, n / 20), chaos=_chaos(seed), publishers=workers)
        print(f"publishing reliability bench, N={n}, seed {seed}, {workers} publisher workers")
        print("\n".join(report.lines()))
        print(f"peak RSS: bench {_peak_rss_mb():.0f} MB, emulator {_rss_mb(emulator):.0f} MB; emulator CPU during "
              f"the run and the ceiling probe {_cpu_s(emulator) - emulator_cpu:.0f} s; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"emulator items by table: {_items_by_table()}")
    finally:
        if emulator is not None:
            emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
