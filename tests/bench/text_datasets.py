"""Real text for the vector bench (``make bench-vectors``): sentences of the installed packages' docstrings embedded
with the local MiniLM model, and the calibration of research's retrieval floor on labelled pairs.

Docstring sentences: every ``.py`` file of the virtualenv's site-packages, in path order, parsed with ``ast`` (no
import); the docstrings of modules, classes and functions split into sentences; kept when 6 to 40 words long and
mostly letters; de-duplicated on their lowercased words. The first ``n + q`` distinct sentences are embedded one
at a time (the model's own pipeline, :mod:`lily.local.sentence_embeddings`, native 384-d: the deployment pads to
1024-d with zeros, which changes no similarity) and cached under ``.lily/bench/``; every ``(n + q) // q``-th
sentence is a query, held out of the index.

Calibration: the pairs of ``tests/bench/data/similarity_pairs.json`` (related / unrelated, labelled by hand) are
embedded by each model that can run here (MiniLM always; OpenAI's models when ``OPENAI_API_KEY`` is set, else
skipped with a message); printed: the cosine range of each label, the floor that best separates them (highest
balanced accuracy, midpoint between neighbouring scores) and precision / recall at the configured floor.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "tests" / "bench" / "data" / "similarity_pairs.json"
CACHE = ROOT / ".lily" / "bench"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _docstrings(path: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="ignore"))
    except (SyntaxError, ValueError, RecursionError):
        return []
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef))]
    return [d for n in nodes if (d := ast.get_docstring(n))]


def docstring_sentences(limit: int) -> list[str]:
    site = Path(sysconfig.get_paths()["purelib"])
    seen: set[str] = set()
    out: list[str] = []
    for path in sorted(site.rglob("*.py")):
        for doc in _docstrings(path):
            for raw in _SENTENCE.split(" ".join(doc.split())):
                words = raw.split()
                if not 6 <= len(words) <= 40:
                    continue
                letters = sum(c.isalpha() for c in raw)
                if letters < 0.75 * len(raw.replace(" ", "")) or any(t in raw for t in (">>>", "::", "http", "``")):
                    continue
                key = " ".join(re.findall(r"[a-z]+", raw.lower()))
                if key in seen:
                    continue
                seen.add(key)
                out.append(raw)
                if len(out) >= limit:
                    return out
    return out


def docstring_dataset(n: int, q: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """(index vectors, held-out query vectors, facts) for ``n`` indexed and ``q`` query sentences."""
    from lily.local.sentence_embeddings import NATIVE_DIMENSION, embed

    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"docstrings-{n}-{q}.npz"
    t0 = time.perf_counter()
    if cached.exists():
        data = np.load(cached)
        vectors, embed_s, found = data["vectors"], float(data["embed_s"]), int(data["found"])
    else:
        texts = docstring_sentences(n + q)
        found = len(texts)
        e0 = time.perf_counter()
        vectors = np.asarray(embed(texts, NATIVE_DIMENSION), dtype=np.float32)
        embed_s = time.perf_counter() - e0
        np.savez(cached, vectors=vectors, embed_s=embed_s, found=found)
    step = max(2, len(vectors) // q)
    is_query = np.zeros(len(vectors), dtype=bool)
    is_query[::step] = True
    is_query[np.flatnonzero(is_query)[q:]] = False
    base, queries = vectors[~is_query], vectors[is_query]
    facts = {"sentences": found, "embed_s": embed_s, "load_s": time.perf_counter() - t0, "cached": cached.name}
    return np.ascontiguousarray(base), np.ascontiguousarray(queries), facts


def best_floor(related: np.ndarray, unrelated: np.ndarray) -> tuple[float, float]:
    """(floor, balanced accuracy): the midpoint between neighbouring scores of highest balanced accuracy."""
    scores = np.sort(np.concatenate([related, unrelated]))
    candidates = (scores[:-1] + scores[1:]) / 2
    best = max(candidates, key=lambda t: ((related >= t).mean() + (unrelated < t).mean()) / 2)
    return float(best), float(((related >= best).mean() + (unrelated < best).mean()) / 2)


def pair_scores(run) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity of every related and every unrelated pair, ``run`` embedding a list of texts."""
    pairs = json.loads(PAIRS.read_text())
    scores = []
    for label in ("related", "unrelated"):
        a = np.asarray(run([p[0] for p in pairs[label]]), dtype=np.float32)
        b = np.asarray(run([p[1] for p in pairs[label]]), dtype=np.float32)
        a /= np.linalg.norm(a, axis=1, keepdims=True)
        b /= np.linalg.norm(b, axis=1, keepdims=True)
        scores.append((a * b).sum(axis=1))
    return scores[0], scores[1]


def at_floor(related: np.ndarray, unrelated: np.ndarray, floor: float) -> dict:
    """Recall (related pairs kept) and precision (kept pairs that are related) at ``floor``."""
    kept = int((related >= floor).sum() + (unrelated >= floor).sum())
    return {"recall": float((related >= floor).mean()),
            "precision": float((related >= floor).sum() / kept) if kept else None}


def _embedders() -> list[tuple[str, object]]:
    from lily.local.sentence_embeddings import NATIVE_DIMENSION, embed

    found: list[tuple[str, object]] = [("all-MiniLM-L6-v2 (local)", lambda texts: embed(texts, NATIVE_DIMENSION))]
    if os.environ.get("OPENAI_API_KEY"):
        from tests.bench.calibrate_floors import openai_embedders

        found += openai_embedders(os.environ["OPENAI_API_KEY"])
    return found


def calibrate(name: str, run, configured: float) -> dict:
    """One model's calibration row: cosine ranges, the best floor and recall / precision at it and at ``configured``."""
    rel, unrel = pair_scores(run)
    floor, accuracy = best_floor(rel, unrel)
    return {"model": name, "related": (float(rel.min()), float(np.median(rel)), float(rel.max())),
            "unrelated": (float(unrel.min()), float(np.median(unrel)), float(unrel.max())),
            "best_floor": floor, "balanced_accuracy": accuracy, "at_best": at_floor(rel, unrel, floor),
            "configured_floor": configured, "at_configured": at_floor(rel, unrel, configured)}


def calibration() -> list[dict]:
    sys.path.insert(0, str(ROOT / "shared"))
    from lily.local.sandboxes.openai import MINILM_FLOOR
    from lily.research.settings import research_settings

    rows = [calibrate(name, run, MINILM_FLOOR if name.startswith("all-MiniLM") else
                      research_settings().floor_for(name.split(" @")[0])) for name, run in _embedders()]
    if not os.environ.get("OPENAI_API_KEY"):
        rows.append({"model": "OpenAI embedding models", "skipped": "no OPENAI_API_KEY: not calibrated here "
                                                                     "(make calibrate-floors with a key)"})
    return rows


def _rates(at: dict) -> str:
    precision = "n/a" if at["precision"] is None else f"{at['precision']:.2f}"
    return f"recall {at['recall']:.2f}, precision {precision}"


def print_calibration(rows: list[dict]) -> None:
    pairs = json.loads(PAIRS.read_text())
    print(f"\n== research retrieval floor, calibrated on {len(pairs['related'])} related / "
          f"{len(pairs['unrelated'])} unrelated labelled pairs ({PAIRS.relative_to(ROOT)})")
    for r in rows:
        if "skipped" in r:
            print(f"   {r['model']:32} skipped: {r['skipped']}")
            continue
        print(f"   {r['model']:32} related cos min/med/max {r['related'][0]:.2f}/{r['related'][1]:.2f}/"
              f"{r['related'][2]:.2f}; unrelated {r['unrelated'][0]:.2f}/{r['unrelated'][1]:.2f}/"
              f"{r['unrelated'][2]:.2f}")
        print(f"   {'':32} best floor {r['best_floor']:.3f} (balanced accuracy {r['balanced_accuracy']:.3f}): "
              f"{_rates(r['at_best'])}; configured {r['configured_floor']:.3f}: {_rates(r['at_configured'])}")
