"""Research memory's vector index: the port, its two adapters and the factory that picks one."""

from lily.research.vectors.ports import (
    IndexInfo,
    IndexMismatchError,
    VectorDimensionError,
    VectorHit,
    VectorIndex,
    VectorRecord,
)

__all__ = ["IndexInfo", "IndexMismatchError", "VectorDimensionError", "VectorHit", "VectorIndex", "VectorRecord"]
