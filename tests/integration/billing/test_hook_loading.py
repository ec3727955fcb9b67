"""The billing worker and the reaper build every capability's plan-change listeners at init, wherever they run:
no listener has to be imported (or registered) by the function first."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("function", ["billing_worker", "subscription_reaper"])
def test_listeners_of_other_capabilities_are_wired_before_notifying(function):
    # A fresh interpreter, like a billing Lambda that never imports lily.social itself.
    code = (
        "from lily.core.functions import discover, load_handler_module; "
        f"m = load_handler_module(next(s for s in discover() if s.name == {function!r})); "
        "print(sorted(h.__module__ + '.' + h.__name__ for h in m.ports.plan_change_listeners))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "lily.social.plan_limits.pause_over_limit" in out
    assert "lily.identity.apikeys.revoke_when_plan_drops_keys" in out
