"""Research memory: embeddings, the vector index port and its adapters (issue 14)."""
