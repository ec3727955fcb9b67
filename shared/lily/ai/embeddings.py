"""The deployment's embedder: the AI port's ``embed`` in batches of at most 64 inputs.

One embedding model and one dimension per deployment (``LILY_AI_EMBEDDING_MODEL``,
``LILY_AI_EMBEDDING_DIMENSIONS``, default ``text-embedding-3-large`` at 1024, PRODUCT.md). Research's vector
index is opened for exactly these (:mod:`lily.research.vectors.factory`), so the index and the embedder
cannot disagree without start-up failing with both numbers.

Each batch is one provider call through :class:`lily.ai.openai_client.OpenAIAdapter` (its retries, breaker
and usage record: one ``ai_usage`` row per batch, ``operation=embedding``); the usage of the batches is
summed in the answer. Inputs are cut to ``MAX_INPUT_CHARS`` (OpenAI refuses inputs over 8,192 tokens).
"""

from __future__ import annotations

from lily.ai.ports import AIPort, CallContext, Embeddings, Usage
from lily.ai.settings import AISettings

BATCH = 64  # inputs per provider call
MAX_INPUT_CHARS = 8000  # well under 8,192 tokens for any text


class BatchedEmbedder:
    """``research.ports.Embedder`` on the AI port.

    ``model`` and ``dimension`` are the AI settings' (``embedding_model``, ``embedding_dimensions``), the
    ones the adapter embeds with, so what the vector index is opened for is what the provider is asked for."""

    def __init__(self, ai: AIPort, settings: AISettings, batch: int = BATCH) -> None:
        if not 1 <= batch <= BATCH:
            raise ValueError(f"batch must be between 1 and {BATCH}")
        self.ai = ai
        self.model = settings.embedding_model
        self.dimension = settings.embedding_dimensions
        self.batch = batch

    def embed(self, texts: list[str], ctx: CallContext) -> Embeddings:
        vectors: list[list[float]] = []
        used = Usage()
        model = self.model
        for start in range(0, len(texts), self.batch):
            chunk = [t[:MAX_INPUT_CHARS] for t in texts[start:start + self.batch]]
            answer = self.ai.embed(chunk, ctx)
            vectors.extend(answer.vectors)
            model = answer.model
            used = Usage(input_tokens=used.input_tokens + answer.usage.input_tokens,
                         output_tokens=used.output_tokens + answer.usage.output_tokens,
                         total_tokens=used.total_tokens + answer.usage.total_tokens)
        return Embeddings(vectors=vectors, model=model, usage=used)


def deployment_embedder() -> BatchedEmbedder:
    """The ``openai`` client adapter and the embedder on the same AI settings."""
    from lily.ai.openai_client import OpenAIAdapter
    from lily.ai.settings import ai_settings

    s = ai_settings()
    return BatchedEmbedder(OpenAIAdapter(s), s)
