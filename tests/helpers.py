"""Helpers shared by the test suites."""

from __future__ import annotations

import json
from pathlib import Path

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def drain(suite, max_rounds: int = 20) -> int:
    """Poll every queue until a full round receives nothing; returns messages processed."""
    total = 0
    for _ in range(max_rounds):
        got = sum(p.poll_once(wait_s=0) for p in suite.pollers)
        total += got
        if not got:
            break
    return total
