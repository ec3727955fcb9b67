from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, Counter, Membership, Org, Revocation, User
from lily.social.models import AccountSelection, OAuthState, SocialConnection, SocialNotice

FUNCTION = FunctionSpec(
    name="social",
    description="Connect (OAuth), list, inspect and disconnect social accounts; the public OAuth callback",
    trigger=Http(prefixes=["/api/orgs/{org_id}/social", "/api/social"], public=True),
    memory_mb=512,
    timeout_s=29,
    # connecting exchanges an OAuth code with the platform and seals the tokens it answers
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead"),
    access=Access(
        tables={
            SocialConnection: "readwrite",
            OAuthState: "readwrite",
            AccountSelection: "readwrite",
            SocialNotice: "read",
            Subscription: "read",
            QuotaCounter: "readwrite",
            Membership: "read",
            Revocation: "read",
            ApiKey: "readwrite",
            User: "read",
            Org: "read",
            Counter: "readwrite",
        },
        # encrypt: new tokens; decrypt: only the PKCE verifier and a pending account selection,
        # never a stored connection (see lily.social.connections).
        kms="both",
        secrets=["social-apps", "jwt-keys"],
        queues_send=["social_events"],
    ),
)
