"""Re-encryption of the stored platform tokens under the deployment's KMS key as it is now.

KMS rotates the key material every year on its own and keeps the old material to open old data keys, so nothing
breaks; re-sealing matters when the old material or key must stop being needed: after a suspected exposure, or
when the key behind ``LILY_KMS_KEY_ID``'s alias is replaced. Each connection's envelopes are opened and sealed
again with a fresh data key (:func:`lily.core.crypto.reseal`); the write is conditional on the connection's
``token_version`` and envelopes as read, so a refresh that lands meanwhile (its tokens already sealed under the
current key) is never overwritten, and the job can run at any time, as often as needed (docs/runbooks/
reencrypt-tokens.md; ``python -m functions.admin_cli reencrypt``).
"""

from __future__ import annotations

from collections import Counter

from lily.core import crypto
from lily.core.crypto import ResealReport
from lily.core.db import won
from lily.core.errors import LilyError
from lily.core.observability import count, logger
from lily.social.models import SocialConnection
from lily.social.tokens import context


def reseal_connections() -> ResealReport:
    report = ResealReport(store="social_connections")
    keys: Counter[str] = Counter()
    for conn in SocialConnection.scan():
        ctx = context(conn.org_id, conn.connection_id)
        try:
            access, old = crypto.reseal(conn.access_envelope, ctx)
            keys[old] += 1
            refresh = None
            if conn.refresh_envelope:
                refresh, old = crypto.reseal(conn.refresh_envelope, ctx)
                keys[old] += 1
        except LilyError as exc:
            report.failed += 1
            logger.error("token envelope could not be opened for re-sealing",
                         extra={"org_id": conn.org_id, "connection_id": conn.connection_id, "code": exc.code})
            continue
        actions = [SocialConnection.access_envelope.set(access)]
        if refresh is not None:
            actions.append(SocialConnection.refresh_envelope.set(refresh))
        condition = ((SocialConnection.token_version == conn.token_version)
                     & (SocialConnection.access_envelope == conn.access_envelope))
        if won(lambda: conn.update(actions=actions, condition=condition)):  # noqa: B023 - called at once
            report.resealed += 1
        else:
            report.raced += 1
    report.sealed_by = dict(keys)
    count("secrets_resealed_total", report.resealed, store=report.store)
    return report
