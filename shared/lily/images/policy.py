"""The content policy on image models: the one file that names the banned family (PRODUCT.md "Content policy").

Every other file refers to it only as "the banned family"; ``tests/unit/images/test_policy.py`` scans the source
tree with :data:`BANNED` and fails on any other occurrence. The model choice (:mod:`lily.images.model_choice`), the
contract (:mod:`lily.images.contract`) and the provider configuration (:mod:`lily.images.settings`) all call
:func:`refuse_banned`, so a banned model is refused wherever it enters.
"""

from __future__ import annotations

import re

from lily.core.errors import ErrorCode, LilyError

FAMILY = "DALL·E"
# dall-e-2, dall-e-3, dalle, DALL·E, dall_e ... (any separator, any case)
BANNED = re.compile(r"(?<![a-z])dall[\s\-_.·]*e(?![a-z])", re.IGNORECASE)


def is_banned(name: str | None) -> bool:
    return bool(name) and BANNED.search(str(name)) is not None


def refuse_banned(name: str | None, where: str = "model") -> None:
    """Raise the policy error (CONTENT_004) when ``name`` belongs to the banned family."""
    if is_banned(name):
        raise LilyError(ErrorCode.CONTENT_004, f"Image models of the {FAMILY} family are banned by Lily's content "
                        "policy", {"policy": "banned_image_model", "field": where, "value": str(name)[:80]})
