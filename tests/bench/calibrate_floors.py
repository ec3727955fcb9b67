"""``make calibrate-floors``: research's retrieval floor for each configured OpenAI embedding model, calibrated on
the shipped labelled pairs (``tests/bench/data/similarity_pairs.json``).

The OpenAI floors in ``LILY_EMBEDDING_FLOORS`` (``lily.research.settings``) are uncalibrated placeholders until this
runs with a key: similarities are not comparable across models, and no key is available where Lily is built.

The models: the deployment's ``LILY_AI_EMBEDDING_MODEL`` at ``LILY_AI_EMBEDDING_DIMENSIONS`` (the vectors research
really stores), and every other model named in ``LILY_EMBEDDING_FLOORS`` at its native dimension. Each embeds the
100 related and 100 unrelated pairs through the openai client (``LILY_AI_OPENAI_BASE_URL``); printed per model: the
cosine ranges, the floor of highest balanced accuracy with its recall and precision, the same at the configured
floor, and at the end the ``LILY_EMBEDDING_FLOORS`` value to deploy. Nothing is written unless ``--write PATH`` is
given (then that JSON goes to PATH).

Key: ``OPENAI_API_KEY``, else the deployment's Secrets Manager secret (as ``make check-models``). Without one, or
when the API cannot be reached, it says so and is skipped (exit 0); an API error answer: exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

import openai  # noqa: E402

from tests.bench.text_datasets import PAIRS, _rates, calibrate  # noqa: E402

Embed = Callable[[list[str]], list[list[float]]]


def configured_models() -> list[tuple[str, int | None]]:
    """(model, dimensions) of every OpenAI embedding model this configuration uses or has a floor for."""
    from lily.ai.settings import ai_settings
    from lily.research.settings import research_settings

    ai = ai_settings()
    models: list[tuple[str, int | None]] = [(ai.embedding_model, ai.embedding_dimensions)]
    models += [(m, None) for m in sorted(research_settings().embedding_floors) if m != ai.embedding_model]
    return models


def openai_embedders(api_key: str, base_url: str | None = None) -> list[tuple[str, Embed]]:
    from lily.ai.settings import ai_settings

    client = openai.OpenAI(api_key=api_key, base_url=base_url or ai_settings().base_url("openai"),
                           timeout=30, max_retries=2)
    found: list[tuple[str, Embed]] = []
    for model, dims in configured_models():
        def run(texts: list[str], model: str = model, dims: int | None = dims) -> list[list[float]]:
            answer = client.embeddings.create(model=model, input=texts, **({"dimensions": dims} if dims else {}))
            return [d.embedding for d in sorted(answer.data, key=lambda d: d.index)]
        found.append((f"{model}" + (f" @{dims}" if dims else ""), run))
    return found


def main(argv: list[str] | None = None, out: Callable[[str], None] = print, keys: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, help="write the calibrated LILY_EMBEDDING_FLOORS JSON to this file")
    args = parser.parse_args(argv)
    from lily.ai.check_models import keys_from_env_or_secret
    from lily.research.settings import research_settings

    key = (keys if keys is not None else keys_from_env_or_secret()).get("openai")
    if not key:
        out("calibrate-floors: no OpenAI API key (OPENAI_API_KEY or the deployment's secret); skipped: the OpenAI "
            "embedding floors stay uncalibrated placeholders")
        return 0
    pairs = json.loads(PAIRS.read_text())
    out(f"calibrate-floors: {len(pairs['related'])} related / {len(pairs['unrelated'])} unrelated pairs "
        f"({PAIRS.relative_to(ROOT)})")
    floors: dict[str, float] = {}
    for name, run in openai_embedders(key):
        model = name.split(" @")[0]
        try:
            row = calibrate(name, run, research_settings().floor_for(model))
        except openai.APIConnectionError:
            out("calibrate-floors: the OpenAI API cannot be reached; skipped (nothing calibrated, nothing written)")
            return 0
        except openai.APIStatusError as exc:
            out(f"calibrate-floors: {name}: the embeddings API answered {exc.status_code}: {exc.message}")
            return 1
        floors[model] = round(row["best_floor"], 3)
        out(f"  {name}: related cos min/med/max {'/'.join(f'{v:.2f}' for v in row['related'])}; unrelated "
            f"{'/'.join(f'{v:.2f}' for v in row['unrelated'])}")
        out(f"    best floor {row['best_floor']:.3f} (balanced accuracy {row['balanced_accuracy']:.3f}): "
            f"{_rates(row['at_best'])}; configured {row['configured_floor']:.3f}: {_rates(row['at_configured'])}")
    value = json.dumps(floors, sort_keys=True)
    out(f"LILY_EMBEDDING_FLOORS={value}")
    if args.write:
        args.write.write_text(value + "\n")
        out(f"written to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
