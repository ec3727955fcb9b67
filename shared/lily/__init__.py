"""Lily: the library every Lily function imports (shipped as a Lambda layer)."""

__version__ = "0.1.0"
