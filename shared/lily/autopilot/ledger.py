"""Autopilot's own hard caps: the org's monthly AI budget (micro-USD) and the setting's posts per day.

Every reservation is one conditional ``ADD`` (``used`` absent, or ``used <= cap - amount``): of two runs racing
for the last unit, exactly one wins, so overlapping runs never overshoot. A reservation is settled to the real
cost after the call (an ``ADD`` of the difference) or given back when the step did not happen. Costs come from the
one price table in settings (:data:`lily.autopilot.settings.AutopilotSettings.prices`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lily.autopilot.models import AutopilotLedger
from lily.autopilot.settings import autopilot_settings
from lily.core import clock
from lily.core.db import won

MICRO = 1_000_000


def text_cost_micros(model: str | None, input_tokens: int, output_tokens: int) -> int:
    prices = autopilot_settings().prices
    p = prices.get(model or "", prices["default"])
    usd = input_tokens / 1e6 * p["input_per_mtok"] + output_tokens / 1e6 * p["output_per_mtok"]
    return max(1, round(usd * MICRO)) if input_tokens or output_tokens else 0


def image_cost_micros() -> int:
    """One generated image, from the same table (its ``image`` row)."""
    return round(autopilot_settings().prices["image"]["each"] * MICRO)


def text_reservation_micros() -> int:
    """What a text step is reserved at: the settings' token allowance at the dearest text price in the table."""
    s = autopilot_settings()
    return max(text_cost_micros(m, s.reserve_input_tokens, s.reserve_output_tokens)
               for m, p in s.prices.items() if "input_per_mtok" in p)


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=70)


def reserve(org_id: str, key: str, amount: int, cap: int) -> bool:
    """Add ``amount`` to the counter ``key`` only if it stays within ``cap``; False (nothing added) otherwise."""
    if amount > cap:
        return False
    item = AutopilotLedger(org_id, key)
    fits = AutopilotLedger.used.does_not_exist() | (AutopilotLedger.used <= cap - amount)
    return won(lambda: item.update(actions=[AutopilotLedger.used.add(amount),
                                            AutopilotLedger.expires_at.set(_expiry(clock.now()))], condition=fits))


def adjust(org_id: str, key: str, delta: int) -> None:
    """Settle a reservation by ``delta`` (the real cost minus what was reserved, or minus a reservation given
    back); never below zero."""
    if delta == 0:
        return
    item = AutopilotLedger(org_id, key)
    if delta > 0:
        item.update(actions=[AutopilotLedger.used.add(delta)])
    elif not won(lambda: item.update(actions=[AutopilotLedger.used.add(delta)],
                                     condition=AutopilotLedger.used >= -delta)):
        won(lambda: item.update(actions=[AutopilotLedger.used.set(0)], condition=AutopilotLedger.used.exists()))


def used(org_id: str, key: str) -> int:
    try:
        return int(AutopilotLedger.get(org_id, key, consistent_read=True).used or 0)
    except AutopilotLedger.DoesNotExist:
        return 0


def cost_key(now: datetime | None = None) -> str:
    return f"cost#{(now or clock.now()):%Y-%m}"


def posts_key(local_day: str) -> str:
    return f"posts#{local_day}"
