"""Platform adapters: one module per platform, each a :class:`~lily.social.platforms.base.PlatformAdapter`."""

from __future__ import annotations

from typing import get_args

from lily.social.constraints import Platform
from lily.social.platforms.base import PlatformAdapter

PLATFORMS: tuple[str, ...] = get_args(Platform)


def adapter(platform: str) -> PlatformAdapter:
    """The adapter for ``platform`` (``x``, ``facebook``, ``instagram``, ``linkedin``)."""
    if platform == "x":
        from lily.social.platforms.x import XAdapter

        return XAdapter()
    if platform in ("facebook", "instagram"):
        from lily.social.platforms.meta import MetaAdapter

        return MetaAdapter(platform)
    if platform == "linkedin":
        from lily.social.platforms.linkedin import LinkedInAdapter

        return LinkedInAdapter()
    raise KeyError(platform)
