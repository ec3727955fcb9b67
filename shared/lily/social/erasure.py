"""Social's side of an organization's erasure (privacy's :class:`lily.privacy.ports.PlatformTokens`): every
connection's grant revoked at its platform before its record goes. One revocation per grant (the Pages or
organizations of one login share it); a platform that refuses for good (the grant was already revoked) is logged and
counted, a transient failure raises so the erasure step runs again; tokens that cannot be opened (a damaged
envelope, a platform no longer supported) are logged and left: nothing can use them."""

from __future__ import annotations

from lily.core.errors import LilyError
from lily.core.observability import count, logger
from lily.social.models import SocialConnection
from lily.social.platforms import adapter as adapter_for
from lily.social.platforms.base import PlatformError
from lily.social.tokens import open_tokens


class PlatformGrants:
    def revoke_org(self, org_id: str) -> int:
        revoked, seen = 0, set()
        for conn in SocialConnection.query(org_id, consistent_read=True):
            if conn.grant_id in seen:
                continue
            seen.add(conn.grant_id)
            try:
                adapter, tokens = adapter_for(conn.platform), open_tokens(conn)
            except (KeyError, LilyError) as exc:  # tokens that cannot be opened cannot be used either: go on
                logger.error("connection tokens could not be opened to revoke them",
                             extra={"org_id": org_id, "connection_id": conn.connection_id,
                                    "error_type": type(exc).__name__})
                count("social_revocations_total", platform=conn.platform, outcome="unopenable")
                continue
            try:
                done = adapter.revoke(tokens)
            except PlatformError as exc:
                if exc.retryable:
                    raise
                logger.warning("revoke refused", extra={"platform": conn.platform, "kind": exc.kind.value})
                done = False
            count("social_revocations_total", platform=conn.platform, outcome="erased" if done else "refused")
            revoked += int(bool(done))
        return revoked
