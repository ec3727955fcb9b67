"""Embedded vector index bench: recall@10 and latency at 100k x 1024-d, beside exact search in the same run.

For each dataset (``random``: i.i.d. unit vectors, database and queries; ``clustered``: 1000 topic
centres, points at cosine ~0.84 from their centre, so two points of a topic are ~0.70 apart, the
retrieval threshold), the bench

1. builds the adapter's shard (``lily.research.vectors.embedded.Shard``: faiss HNSW, M=16,
   efConstruction=128) over N vectors, single-threaded;
2. runs Q queries one at a time through ``Shard.search`` (the code the adapter runs, Python included)
   for each efSearch in ``--ef``, and the same queries through exact search (faiss ``IndexFlatIP``, one
   query at a time, the baseline);
3. reports recall@10 against the exact top-10, latency p50/p99 as wall time and as CPU time of the
   thread (the machine is shared: CPU time is what one core spends; wall time includes waiting for it),
   build time, and memory per vector (serialised index / N, and the process's RSS growth / N) beside
   the audit's 1.17 GB per 100k x 3072-d (11,700 B per vector).

A third dataset, ``docstrings``, is real text: 20,000 distinct sentences of the installed packages' docstrings
embedded with the local MiniLM model (384-d), 300 more held out of the index as queries
(``tests/bench/text_datasets.py``; embedding them takes about 4 CPU-minutes the first time — 721 s wall on the
loaded shared machine — then they are cached under ``.lily/bench/``). The run ends with the calibration of
research's retrieval floor per embedding model on the labelled pairs of ``tests/bench/data/similarity_pairs.json``.

Targets (issue 14): recall@10 >= 0.95, p99 <= 5 ms on one core, memory per vector <= 0.5x the audit's.
A measurement, not a test: it prints and exits 0.

    make bench-vectors                    # or: .venv/bin/python tests/bench/vectors.py
    .venv/bin/python tests/bench/vectors.py -n 20000 --queries 100 --ef 64,128
    .venv/bin/python tests/bench/vectors.py --with-hnswlib   # also hnswlib, if installed (the comparison)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT))

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from lily.research.vectors.embedded import EF_CONSTRUCTION, HNSW_M, Shard, new_graph  # noqa: E402

AUDIT_BYTES_PER_VECTOR = 1.17e9 / 100_000  # the audit: 1.17 GB per 100k x 3072-d
K = 10


def unit(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)


def dataset(name: str, n: int, q: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if name == "random":
        x = rng.standard_normal((n + q, dim), dtype=np.float32)
    else:
        centres = rng.standard_normal((1000, dim), dtype=np.float32)
        x = centres[rng.integers(0, len(centres), n + q)] + 0.65 * rng.standard_normal((n + q, dim), dtype=np.float32)
    x = unit(x)
    return x[:n], x[n:]


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def timed(queries: np.ndarray, search) -> tuple[list[np.ndarray], list[float], list[float]]:
    results, wall, cpu = [], [], []
    for query in queries:
        w0, c0 = time.perf_counter(), time.thread_time()
        results.append(search(query[None, :]))
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return results, wall, cpu


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / K for f, t in zip(found, truth, strict=True)]))


def row(label: str, rec: float | None, wall: list[float], cpu: list[float]) -> dict:
    (w50, w99), (c50, c99) = percentiles(wall), percentiles(cpu)
    return {"index": label, "recall@10": rec, "wall_p50_ms": w50, "wall_p99_ms": w99, "cpu_p50_ms": c50,
            "cpu_p99_ms": c99}


def bench_dataset(name: str, args) -> dict:
    if name == "docstrings":
        from tests.bench.text_datasets import docstring_dataset

        base, queries, facts = docstring_dataset(args.text_n, args.queries)
        args = argparse.Namespace(**{**vars(args), "n": len(base), "dim": base.shape[1], "queries": len(queries)})
    else:
        base, queries = dataset(name, args.n, args.queries, args.dim, args.seed)
        facts = {}
    out: dict = {"dataset": name, "n": args.n, "dim": args.dim, "queries": args.queries, "rows": [], **facts}

    exact = faiss.IndexFlatIP(args.dim)
    exact.add(base)
    _, truth = exact.search(queries, K)  # ground truth (batched)
    found, wall, cpu = timed(queries, lambda q, index=exact: index.search(q, K)[1][0])
    assert recall(found, truth) == 1.0
    out["rows"].append(row("exact (IndexFlatIP)", 1.0, wall, cpu))

    rss0 = rss_bytes()  # the exact index stays allocated meanwhile, so the graph cannot reuse its memory
    shard = Shard(args.dim, new_graph(args.dim, args.m, args.ef_construction))
    t0 = time.perf_counter()
    shard.add([(str(i), "") for i in range(args.n)], base)
    out["build_s"] = time.perf_counter() - t0
    out["rss_bytes_per_vector"] = (rss_bytes() - rss0) / args.n
    out["index_bytes_per_vector"] = shard.memory_bytes() / args.n
    del exact
    for ef in args.ef:
        shard.ef_search = ef
        hits, wall, cpu = timed(queries, lambda q, index=shard: index.search(q, K, -1.0, None))
        found = [np.array([int(h.item_id) for h in hit]) for hit in hits]
        label = f"faiss HNSW M={args.m} efC={args.ef_construction} ef={ef}"
        out["rows"].append(row(label, recall(found, truth), wall, cpu))
    del shard

    if args.with_hnswlib:
        import hnswlib

        graph = hnswlib.Index(space="ip", dim=args.dim)
        graph.init_index(max_elements=args.n, M=args.m, ef_construction=args.ef_construction)
        graph.set_num_threads(1)
        t0 = time.perf_counter()
        graph.add_items(base)
        out["hnswlib_build_s"] = time.perf_counter() - t0
        for ef in args.ef:
            graph.set_ef(ef)
            found, wall, cpu = timed(queries, lambda q, index=graph: index.knn_query(q, k=K)[0][0])
            out["rows"].append(row(f"hnswlib ef={ef}", recall(found, truth), wall, cpu))
    return out


def report(results: list[dict]) -> None:
    target_memory = 0.5 * AUDIT_BYTES_PER_VECTOR
    for res in results:
        print(f"\n== {res['dataset']}: {res['n']:,} x {res['dim']}-d, {res['queries']} queries one at a time, "
              "one thread")
        if "sentences" in res:
            print(f"   real text: {res['sentences']:,} distinct docstring sentences of the installed packages, "
                  f"embedded with all-MiniLM-L6-v2 in {res['embed_s']:.0f} s (cache {res['cached']}); queries held "
                  "out of the index")
        print(f"   HNSW build {res['build_s']:.0f} s; memory per vector: index {res['index_bytes_per_vector']:,.0f} B, "
              f"RSS growth {res['rss_bytes_per_vector']:,.0f} B; audit {AUDIT_BYTES_PER_VECTOR:,.0f} B "
              f"(ratio {res['index_bytes_per_vector'] / AUDIT_BYTES_PER_VECTOR:.2f}; target <= 0.5: "
              f"{'met' if res['index_bytes_per_vector'] <= target_memory else 'NOT met'})")
        if "hnswlib_build_s" in res:
            print(f"   hnswlib build {res['hnswlib_build_s']:.0f} s")
        print(f"   {'index':40} {'recall@10':>9} {'wall p50':>9} {'wall p99':>9} {'cpu p50':>8} {'cpu p99':>8}"
              "  targets")
        for r in res["rows"]:
            ok = r["recall@10"] >= 0.95 and r["cpu_p99_ms"] <= 5.0
            print(f"   {r['index']:40} {r['recall@10']:9.3f} {r['wall_p50_ms']:8.2f}ms {r['wall_p99_ms']:8.2f}ms "
                  f"{r['cpu_p50_ms']:7.2f}ms {r['cpu_p99_ms']:7.2f}ms  {'met' if ok else 'not met'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--ef", type=lambda s: [int(x) for x in s.split(",")], default=[64, 128, 256, 512])
    parser.add_argument("--m", type=int, default=HNSW_M, help="HNSW M (neighbours per node)")
    parser.add_argument("--ef-construction", type=int, default=EF_CONSTRUCTION)
    parser.add_argument("--datasets", default="clustered,random,docstrings")
    parser.add_argument("--text-n", type=int, default=20_000, help="docstring sentences indexed (real text)")
    parser.add_argument("--no-calibration", action="store_true")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--with-hnswlib", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    faiss.omp_set_num_threads(1)
    results = [bench_dataset(name, args) for name in args.datasets.split(",")]
    report(results)
    if not args.no_calibration:
        from tests.bench.text_datasets import calibration, print_calibration

        rows = calibration()
        print_calibration(rows)
        results.append({"calibration": rows})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:,.0f} MB; faiss {faiss.__version__}, numpy {np.__version__}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
