"""Sending email: the port, the SES adapter (cloud) and the offline outbox (local mode, tests).

In local mode (``LILY_OFFLINE=true``) every message lands in an in-process outbox, one per
deployment (resource prefix), readable newest first at ``GET /_local/outbox``.
"""

from __future__ import annotations

import threading
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field

from lily.core import clock, ids
from lily.core.aws import client
from lily.core.config import get_settings
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger
from lily.core.schema import Schema
from lily.identity.settings import identity_settings


class Message(Schema):
    id: str = Field(default_factory=lambda: ids.new_id("msg"))
    to: str
    subject: str
    text: str
    links: list[str] = Field(default_factory=list)
    sent_at: str = Field(default_factory=clock.iso)


class EmailSender(Protocol):
    def send(self, message: Message) -> None: ...


class SesSender:
    """Amazon SES v2."""

    def send(self, message: Message) -> None:
        try:
            client("sesv2").send_email(
                FromEmailAddress=identity_settings().email_sender,
                Destination={"ToAddresses": [message.to]},
                Content={"Simple": {"Subject": {"Data": message.subject, "Charset": "UTF-8"},
                                    "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}}}},
            )
        except (BotoCoreError, ClientError) as exc:  # any SES failure is the same upstream failure to callers
            logger.error("email send failed", extra={"error_type": type(exc).__name__})
            raise LilyError(ErrorCode.EXTERNAL_003, "Email could not be sent") from None


_outbox_lock = threading.Lock()
_outboxes: dict[str, list[Message]] = {}


class OutboxSender:
    """Keeps messages in memory (local mode only)."""

    def send(self, message: Message) -> None:
        with _outbox_lock:
            _outboxes.setdefault(get_settings().resource_prefix, []).append(message)


def outbox(to: str | None = None, limit: int = 50) -> list[Message]:
    """Messages of this deployment, newest first (optionally only those to one address)."""
    with _outbox_lock:
        items = list(_outboxes.get(get_settings().resource_prefix, []))
    if to:
        items = [m for m in items if m.to.lower() == to.lower()]
    return list(reversed(items))[:limit]


def sender() -> EmailSender:
    return OutboxSender() if get_settings().offline else SesSender()


def send(to: str, subject: str, text: str, links: list[str] | None = None, kind: str = "other") -> None:
    sender().send(Message(to=to, subject=subject, text=text, links=links or []))
    count("emails_sent_total", kind=kind)
