"""Operator commands the runbooks use (docs/runbooks/): look at a deployment's queues, breakers, quotas, keys and
schedules, and repair them. Each prints plain lines (JSON with ``--json``) and exits 0, or 1 with ``error: ...``.
Run each as ``python -m functions.admin_cli COMMAND`` from the repository root:

    queues                        # every queue and its DLQ: visible and in-flight messages
    dlq-peek QUEUE [-n 5]         # the first DLQ messages, left in place
    dlq-redrive QUEUE [--max 100] # DLQ -> queue (publish: the safe requeue)
    breakers                      # every circuit breaker and its state
    breaker-close KEY             # close one breaker by hand (after the outage is over)
    quota ORG_ID                  # an organization's plan, subscription and every quota
    reconcile-quotas              # the nightly gauge reconciliation, now
    stripe-resync ORG_ID          # re-read the org's subscription from Stripe and apply it
    connections                   # social connections by platform and status
    token-health                  # the daily token refresh/validation job, now
    overdue [--minutes 5]         # post targets past their time and not published
    dispatch                      # one dispatcher tick, now
    check-access                  # each secret readable, the data key usable (KMS)
    reencrypt                     # re-seal stored tokens and TOTP secrets under the current key
    jwt-rotate                    # the due step of the JWT signing key rotation, now
    jwt-keys                      # the public kids and the rotation state (no private key)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections import Counter
from datetime import timedelta
from typing import Any

COMMANDS: dict[str, str] = {
    "queues": "every queue and its DLQ: depth and oldest message age",
    "dlq-peek": "print the first messages of a queue's DLQ without removing them",
    "dlq-redrive": "move a queue's DLQ messages back to the queue (publish: the safe requeue)",
    "breakers": "every circuit breaker and its state",
    "breaker-close": "close one circuit breaker by hand",
    "quota": "an organization's plan, subscription and quotas",
    "reconcile-quotas": "reset the gauge quotas from the real counts, now",
    "stripe-resync": "re-read an organization's subscription from Stripe and apply it",
    "connections": "social connections by platform and status",
    "token-health": "run the daily token refresh/validation job now",
    "overdue": "post targets past their time and not published",
    "dispatch": "run one dispatcher tick now",
    "check-access": "check each secret and the KMS data key",
    "reencrypt": "re-seal stored tokens and TOTP secrets under the current KMS key",
    "jwt-rotate": "run the due step of the JWT signing key rotation now",
    "jwt-keys": "the public JWT kids and the rotation state",
}


def register(commands: argparse._SubParsersAction) -> None:
    for name, help_ in COMMANDS.items():
        p = commands.add_parser(name, help=help_)
        p.add_argument("--json", action="store_true", help="print JSON")
        if name in ("dlq-peek", "dlq-redrive"):
            p.add_argument("queue")
        if name == "dlq-peek":
            p.add_argument("-n", type=int, default=5)
        if name == "dlq-redrive":
            p.add_argument("--max", type=int, default=100)
        if name == "breaker-close":
            p.add_argument("key")
        if name in ("quota", "stripe-resync"):
            p.add_argument("org_id")
        if name == "overdue":
            p.add_argument("--minutes", type=int, default=5)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def run(args: argparse.Namespace) -> Any:
    """Run command ``args.command``; returns what to print."""
    return _plain(globals()["_" + args.command.replace("-", "_")](args))


# ---------------------------------------------------------------- queues


def _queue_attrs(url: str) -> dict[str, int]:
    from lily.core.aws import client

    attrs = client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    a = attrs["Attributes"]
    return {"visible": int(a.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(a.get("ApproximateNumberOfMessagesNotVisible", 0))}


def _queues(args: argparse.Namespace) -> dict[str, Any]:
    from lily.core import queues
    from lily.health.backlog import WATCHED_QUEUES

    return {q: {"queue": _queue_attrs(queues.queue_url(q)), "dlq": _queue_attrs(queues.dlq_url(q))}
            for q in WATCHED_QUEUES}


def _dlq_peek(args: argparse.Namespace) -> list[dict[str, Any]]:
    from lily.core import queues
    from lily.core.aws import client

    got = client("sqs").receive_message(QueueUrl=queues.dlq_url(args.queue), MaxNumberOfMessages=min(args.n, 10),
                                        VisibilityTimeout=0, AttributeNames=["All"])
    return [{"message_id": m["MessageId"], "receive_count": m.get("Attributes", {}).get("ApproximateReceiveCount"),
             "body": m["Body"][:2000]} for m in got.get("Messages", [])]


def _dlq_redrive(args: argparse.Namespace) -> dict[str, Any]:
    from lily.core import queues
    from lily.core.aws import client

    if args.queue == "publish":  # never blindly: each target is checked and reconciled with the platform
        from lily.publishing import dlq

        return dlq.requeue(args.max).model_dump()
    sqs = client("sqs")
    moved = 0
    while moved < args.max:
        got = sqs.receive_message(QueueUrl=queues.dlq_url(args.queue), MaxNumberOfMessages=min(10, args.max - moved),
                                  VisibilityTimeout=60)
        batch = got.get("Messages", [])
        if not batch:
            break
        for m in batch:
            sqs.send_message(QueueUrl=queues.queue_url(args.queue), MessageBody=m["Body"])
            sqs.delete_message(QueueUrl=queues.dlq_url(args.queue), ReceiptHandle=m["ReceiptHandle"])
            moved += 1
    return {"queue": args.queue, "moved": moved}


# ---------------------------------------------------------------- breakers


def _breakers(args: argparse.Namespace) -> list[dict[str, Any]]:
    from lily.core import clock
    from lily.core.models import BreakerState

    now = clock.now_ts()
    out = []
    for b in BreakerState.scan():
        state = b.attribute_values
        opened_until = state.get("open_until")
        out.append({"key": b.key, **{k: v for k, v in state.items() if k != "key"},
                    "open_now": bool(opened_until and float(opened_until) > now)})
    return sorted(out, key=lambda b: b["key"])


def _breaker_close(args: argparse.Namespace) -> dict[str, Any]:
    from lily.core.models import BreakerState

    try:
        BreakerState.get(args.key).delete()
    except BreakerState.DoesNotExist:
        return {"key": args.key, "closed": False, "detail": "no such breaker (closed already)"}
    return {"key": args.key, "closed": True}


# ---------------------------------------------------------------- quotas and billing


def _quota(args: argparse.Namespace) -> dict[str, Any]:
    from lily.billing import entitlements

    sub = entitlements.subscription_of(args.org_id)
    return {"org_id": args.org_id, "plan": entitlements.plan_of(args.org_id).plan_id,
            "subscription": sub.attribute_values if sub else None,
            "quotas": [u.model_dump(mode="json") for u in entitlements.usage(args.org_id)]}


def _reconcile_quotas(args: argparse.Namespace) -> Any:
    from lily.billing import gauge_reconcile

    return gauge_reconcile.run(args.ports.gauge_reconcile())


def _stripe_resync(args: argparse.Namespace) -> dict[str, Any]:
    from lily.billing import entitlements
    from lily.billing.stripe_gateway import stripe_gateway
    from lily.billing.subscription_sync import sync_subscription
    from lily.core.errors import ErrorCode, LilyError

    sub = entitlements.subscription_of(args.org_id)
    if sub is None or not sub.stripe_subscription_id:
        raise LilyError(ErrorCode.VALIDATION_004, "the organization has no Stripe subscription")
    snap = stripe_gateway().retrieve_subscription(sub.stripe_subscription_id)
    synced = sync_subscription(args.ports.billing(), args.org_id, snap)
    return {"org_id": args.org_id, "status": synced.status, "plan_id": synced.plan_id,
            "plan": entitlements.plan_of(args.org_id).plan_id}


# ---------------------------------------------------------------- social and publishing


def _connections(args: argparse.Namespace) -> dict[str, int]:
    from lily.social.models import SocialConnection

    found = Counter(f"{c.platform}:{c.status}" for c in SocialConnection.scan(
        attributes_to_get=["org_id", "connection_id", "platform", "status"]))
    return dict(sorted(found.items()))


def _token_health(args: argparse.Namespace) -> Any:
    from lily.social import health

    return health.run()


def _overdue(args: argparse.Namespace) -> list[dict[str, Any]]:
    from lily.core import clock
    from lily.publishing.models import Target

    cutoff = clock.now() - timedelta(minutes=args.minutes)
    out = []
    for t in Target.scan(Target.state.is_in("scheduled", "queued", "publishing")):
        if t.scheduled_at is not None and t.scheduled_at < cutoff:
            out.append({"org_id": t.org_id, "post_id": t.post_id, "target_id": t.target_id, "state": t.state,
                        "platform": t.platform, "scheduled_at": clock.iso(t.scheduled_at),
                        "attempts": int(t.attempts or 0)})
    return sorted(out, key=lambda t: t["scheduled_at"])


def _dispatch(args: argparse.Namespace) -> dict[str, int]:
    from lily.publishing import dispatcher

    return dispatcher.tick()


# ---------------------------------------------------------------- keys and secrets


def _check_access(args: argparse.Namespace) -> dict[str, str]:
    from botocore.exceptions import BotoCoreError, ClientError

    from lily.core import crypto
    from lily.core.resources import SECRETS, read_secret

    out: dict[str, str] = {}
    for short in SECRETS:
        try:
            read_secret(short)
            out[f"secret:{short}"] = "ok"
        except (ClientError, BotoCoreError, ValueError) as exc:
            out[f"secret:{short}"] = _failure(exc)
    try:
        probe = {"purpose": "check-access"}
        crypto.decrypt(crypto.encrypt(b"probe", probe), probe)
        out["kms:data-key"] = "ok"
    except (ClientError, BotoCoreError) as exc:
        out["kms:data-key"] = _failure(exc)
    except Exception as exc:  # noqa: BLE001 - a diagnosis: report whatever stops the round trip
        out["kms:data-key"] = getattr(exc, "message", type(exc).__name__)
    return out


def _failure(exc: Exception) -> str:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    return code or type(exc).__name__


def _reencrypt(args: argparse.Namespace) -> list[Any]:
    from lily.identity.reseal import reseal_totp_secrets
    from lily.social.reseal import reseal_connections

    return [_plain(reseal_connections()), _plain(reseal_totp_secrets())]


def _jwt_rotate(args: argparse.Namespace) -> Any:
    from lily.identity import key_rotation

    return key_rotation.step()


def _jwt_keys(args: argparse.Namespace) -> dict[str, Any]:
    from lily.core.resources import read_secret
    from lily.identity.tokens import VERIFY_SECRET

    raw = read_secret(VERIFY_SECRET)
    return {"kids": [k.get("kid") for k in raw.get("keys", [])], "rotation": raw.get("rotation")}


def render(result: Any, as_json: bool) -> str:
    if as_json or not isinstance(result, dict | list):
        return json.dumps(result, indent=2, default=str)
    if isinstance(result, dict):
        return "\n".join(f"{k}: {json.dumps(v, default=str) if isinstance(v, dict | list) else v}"
                         for k, v in result.items())
    return "\n".join(json.dumps(item, default=str) for item in result)
