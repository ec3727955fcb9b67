"""Helpers shared by the service, dispatcher and publisher: the due index keys and the post status.

The ``due`` index holds two kinds of keys per shard, in two ranges of its sort key:

- ``<iso instant>#<target_id>``: a scheduled target, due at that instant (the dispatcher reads these up to
  ``now + lookahead`` and sends each message delayed to its second);
- ``w#<iso instant>#<target_id>``: the watchdog instant of a queued or publishing target (read only once that
  instant has passed). ``w`` sorts after every digit, so a watchdog key never falls in the dispatch window:
  a target that is progressing costs the dispatcher nothing.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from lily.core import clock
from lily.core.db import won
from lily.core.observability import logger
from lily.publishing.models import Post, Target
from lily.publishing.settings import publishing_settings

TERMINAL = ("published", "failed")
PENDING = ("scheduled", "queued", "publishing")


def shard_of(target_id: str) -> str:
    return f"due#{zlib.crc32(target_id.encode()) % publishing_settings().due_shards}"


WATCH = "w#"


def due_sk(at: datetime, target_id: str) -> str:
    return f"{clock.iso(at)}#{target_id}"


def watch_sk(at: datetime, target_id: str) -> str:
    """The due-index key of a queued/publishing target's watchdog instant (outside the dispatch window)."""
    return f"{WATCH}{due_sk(at, target_id)}"


def is_watch_sk(key: str | None) -> bool:
    return bool(key) and key.startswith(WATCH)


def shards() -> list[str]:
    return [f"due#{i}" for i in range(publishing_settings().due_shards)]


def targets_of(post_id: str) -> list[Target]:
    return list(Target.query(post_id, consistent_read=True))


def post_status(targets: list[Target]) -> tuple[str, int]:
    """(status, rank) of a post from its targets; rank = how many targets are done (never decreases)."""
    states = [t.state for t in targets]
    done = sum(1 for s in states if s in TERMINAL)
    if not states or all(s == "draft" for s in states):
        return "draft", done
    if any(s in PENDING for s in states):
        return ("publishing" if any(s in ("publishing",) for s in states) else "scheduled"), done
    if all(s == "published" for s in states if s != "draft"):
        return "published", done
    if all(s == "failed" for s in states if s != "draft"):
        return "failed", done
    return "partial", done


def refresh_post_status(org_id: str, post_id: str, targets: list[Target] | None = None) -> str | None:
    """Recompute a post's status after a worker moved a target; a stale recompute never wins.

    ``targets``: the post's targets as they are now, when the caller knows them (a post with one target
    whose move the caller just made); otherwise they are read.
    """
    targets = targets_of(post_id) if targets is None else targets
    status, rank = post_status(targets)
    post = Post(org_id, post_id)
    if not won(lambda: post.update(
            actions=[Post.status.set(status), Post.status_rank.set(rank)],
            condition=Post.post_id.exists() & ((Post.status_rank <= rank) | Post.status_rank.does_not_exist()))):
        logger.debug("post status recompute lost a race", extra={"post_id": post_id})
        return None
    return status
