"""Ports other capabilities plug into.

Plan changes: a capability that must react when an organization's plan changes (social accounts
pause connections over the new limit on a downgrade, and may resume them on an upgrade) registers
a hook in a module named ``lily/<capability>/plan_hooks.py`` (imported automatically by the billing
worker and the reaper before they notify, wherever they run)::

    from lily.billing.ports import on_plan_change

    @on_plan_change
    def pause_excess(org_id: str, old_plan: Plan, new_plan: Plan) -> None: ...

The billing worker (after a Stripe event) and the daily reaper call :func:`notify_plan_change`
exactly once per transition (the transition is claimed with a conditional write first). Hooks must
be idempotent and must never delete data. A failing hook is logged and counted; the others still run.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable

from lily.billing.plans import Plan
from lily.core.observability import count, logger

PlanChangeHook = Callable[[str, Plan, Plan], None]

_HOOKS: list[PlanChangeHook] = []


def on_plan_change(hook: PlanChangeHook) -> PlanChangeHook:
    """Register ``hook(org_id, old_plan, new_plan)`` (usable as a decorator; registering twice is a no-op)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    return hook


def remove_plan_change_hook(hook: PlanChangeHook) -> None:
    if hook in _HOOKS:
        _HOOKS.remove(hook)


def plan_change_hooks() -> list[PlanChangeHook]:
    return list(_HOOKS)


_loaded = False


def load_hook_modules() -> None:
    """Import every ``lily.<capability>.plan_hooks`` module once (they register their hooks)."""
    global _loaded
    if _loaded:
        return
    import lily

    names = [f"lily.{info.name}.plan_hooks" for info in pkgutil.iter_modules(lily.__path__) if info.ispkg]
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(name)
    _loaded = True


def notify_plan_change(org_id: str, old: Plan, new: Plan) -> int:
    """Run every hook; returns how many failed (each failure is logged and counted)."""
    load_hook_modules()
    failures = 0
    for hook in list(_HOOKS):
        try:
            hook(org_id, old, new)
        except Exception:  # noqa: BLE001 - one capability's failure must not block the others
            failures += 1
            count("plan_change_hook_failures_total", hook=getattr(hook, "__name__", "hook"))
            logger.exception("plan change hook failed", extra={
                "org_id": org_id, "old_plan": old.plan_id, "new_plan": new.plan_id,
                "hook": getattr(hook, "__name__", repr(hook))})
    return failures
