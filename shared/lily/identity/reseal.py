"""Re-encryption of the stored TOTP secrets under the deployment's KMS key as it is now (see
:mod:`lily.social.reseal` for when and why; ``python -m functions.admin_cli reencrypt`` runs both). Each write is
conditional on the envelope as read, so a second factor changed meanwhile is never overwritten."""

from __future__ import annotations

from collections import Counter

from lily.core import crypto
from lily.core.crypto import ResealReport
from lily.core.db import won
from lily.core.errors import LilyError
from lily.core.observability import count, logger
from lily.identity.models import User


def _context(user_id: str) -> dict[str, str]:
    return {"user_id": user_id, "purpose": "totp"}  # as lily.identity.two_factor seals it


def reseal_totp_secrets() -> ResealReport:
    report = ResealReport(store="users.totp")
    keys: Counter[str] = Counter()
    for user in User.scan(User.totp_secret.exists() | User.totp_pending.exists()):
        actions, condition = [], None
        try:
            for attr in (User.totp_secret, User.totp_pending):
                envelope = getattr(user, attr.attr_name)
                if not envelope:
                    continue
                sealed, old = crypto.reseal(envelope, _context(user.user_id))
                keys[old] += 1
                actions.append(attr.set(sealed))
                same = attr == envelope
                condition = same if condition is None else condition & same
        except LilyError as exc:
            report.failed += 1
            logger.error("TOTP envelope could not be opened for re-sealing",
                         extra={"user_id": user.user_id, "code": exc.code})
            continue
        if not actions:
            continue
        if won(lambda: user.update(actions=actions, condition=condition)):  # noqa: B023 - called at once
            report.resealed += 1
        else:
            report.raced += 1
    report.sealed_by = dict(keys)
    count("secrets_resealed_total", report.resealed, store=report.store)
    return report
