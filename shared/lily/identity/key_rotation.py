"""JWT signing keys rotate on a schedule, with overlap, so nobody is logged out (the ``jwt_rotation`` function,
daily; ``python -m functions.admin_cli jwt-rotate`` runs one step by hand).

The three steps of docs/identity.md ("Tokens and key rotation"), one per run, each only when its wait is over:

1. **stage** (the signing key is ``LILY_JWT_ROTATION_DAYS`` old): a new P-256 pair; its public JWK joins
   ``jwt-keys`` at once, its private key is written to ``jwt-signing-keys`` as a new version labelled
   ``AWSPENDING``: auth keeps signing with the ``AWSCURRENT`` one;
2. **promote** (``jwt_key_cache_s`` later, so every function's cached public set knows the new kid): the pending
   version becomes ``AWSCURRENT`` (``UpdateSecretVersionStage``); auth signs with it after its own cache expires;
3. **retire** (``jwt_key_cache_s`` + the longest access lifetime after the promotion, so no token signed with the
   old key is still valid): the old public JWK leaves ``jwt-keys``.

The job never reads the private key (only auth may: ``tests/infra/test_identity_infra.py``): it writes a new
version and moves the stage label. What it must remember lives in the public set, beside ``keys``, under
``rotation``: when each kid was made, the pending kid and its secret version, and the kids being retired.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import Field

from lily.core import clock
from lily.core.aws import client
from lily.core.observability import count, logger
from lily.core.resources import read_secret, secret_name
from lily.core.schema import Schema
from lily.identity.settings import identity_settings
from lily.identity.tokens import SIGNING_SECRET, VERIFY_SECRET, new_signing_key

MAX_ACCESS_LIFETIME_S = 30 * 60  # platform-role users' tokens (docs/identity.md)


class RotationState(Schema):
    created: dict[str, float] = Field(default_factory=dict)  # kid -> when it was made (or first seen)
    pending_kid: str | None = None
    pending_version: str | None = None
    pending_since: float | None = None
    retiring: dict[str, float] = Field(default_factory=dict)  # kid -> remove its public key after this time


class RotationStep(Schema):
    step: str  # staged | promoted | retired | nothing
    kid: str | None = None
    detail: str = ""


def _public_set() -> tuple[dict[str, Any], RotationState]:
    raw = read_secret(VERIFY_SECRET)
    return raw, RotationState.model_validate(raw.get("rotation") or {})


def _put_public(raw: dict[str, Any], state: RotationState) -> None:
    value = {**raw, "rotation": state.model_dump()}
    client("secretsmanager").put_secret_value(SecretId=secret_name(VERIFY_SECRET), SecretString=json.dumps(value))


def _signing_versions() -> dict[str, list[str]]:
    described = client("secretsmanager").describe_secret(SecretId=secret_name(SIGNING_SECRET))
    return described.get("VersionIdsToStages") or {}


def _current_version() -> str:
    return next(v for v, stages in _signing_versions().items() if "AWSCURRENT" in stages)


def _active_kid(raw: dict[str, Any], state: RotationState) -> str | None:
    """The kid auth signs with: the one public key neither pending nor retiring."""
    active = [k.get("kid") for k in raw.get("keys", []) if k.get("kid") not in state.retiring
              and k.get("kid") != state.pending_kid]
    return active[-1] if active else None


def step() -> RotationStep:
    """Run the one rotation step that is due (or none)."""
    s = identity_settings()
    now = clock.now_ts()
    raw, state = _public_set()
    for k in raw.get("keys", []):  # keys made before scheduled rotation: their age counts from now
        state.created.setdefault(str(k.get("kid")), now)

    if state.pending_kid and state.pending_since is not None and now - state.pending_since >= s.jwt_key_cache_s:
        old_version = _current_version()
        old_kid = _active_kid(raw, state)
        client("secretsmanager").update_secret_version_stage(
            SecretId=secret_name(SIGNING_SECRET), VersionStage="AWSCURRENT",
            MoveToVersionId=state.pending_version, RemoveFromVersionId=old_version)
        kid = state.pending_kid
        if old_kid:
            state.retiring[old_kid] = now + s.jwt_key_cache_s + MAX_ACCESS_LIFETIME_S
        state.pending_kid = state.pending_version = state.pending_since = None
        _put_public(raw, state)
        count("jwt_key_rotations_total", step="promoted")
        logger.info("jwt signing key promoted", extra={"kid": kid, "retiring": old_kid})
        return RotationStep(step="promoted", kid=kid, detail=f"signing with {kid}; {old_kid} retiring")

    due = {kid for kid, after in state.retiring.items() if now >= after}
    if due:
        raw["keys"] = [k for k in raw.get("keys", []) if k.get("kid") not in due]
        for kid in due:
            state.retiring.pop(kid, None)
            state.created.pop(kid, None)
        _put_public(raw, state)
        count("jwt_key_rotations_total", step="retired")
        logger.info("jwt public keys retired", extra={"kids": sorted(due)})
        return RotationStep(step="retired", kid=",".join(sorted(due)), detail="old public keys removed")

    active = _active_kid(raw, state)
    age = now - state.created.get(active or "", now)
    if state.pending_kid is None and not state.retiring and age >= s.jwt_rotation_days * 86400:
        kid = f"k{int(now)}"
        private, public = new_signing_key(kid)
        version = str(uuid.uuid4())
        client("secretsmanager").put_secret_value(
            SecretId=secret_name(SIGNING_SECRET), ClientRequestToken=version, SecretString=json.dumps(private),
            VersionStages=["AWSPENDING"])
        raw["keys"] = [*raw.get("keys", []), public]
        state.created[kid] = now
        state.pending_kid, state.pending_version, state.pending_since = kid, version, now
        _put_public(raw, state)
        count("jwt_key_rotations_total", step="staged")
        logger.info("jwt signing key staged", extra={"kid": kid})
        return RotationStep(step="staged", kid=kid, detail="public key published; promoted after the key cache")

    if raw.get("rotation") != state.model_dump():  # first run: remember when the current keys were first seen
        _put_public(raw, state)
    return RotationStep(step="nothing", kid=active, detail=f"signing key {int(age // 86400)} days old")
