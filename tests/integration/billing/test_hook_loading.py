"""The billing worker and the reaper get every capability's plan-change listeners from the composition,
wherever they run: no listener has to be imported (or registered) by the function first."""

import subprocess
import sys


def test_listeners_of_other_capabilities_are_wired_before_notifying():
    # A fresh interpreter, like a billing Lambda that never imports lily.social itself.
    code = (
        "from lily import composition; "
        "print(sorted(h.__module__ + '.' + h.__name__ for h in composition.plan_change_listeners()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "lily.social.plan_limits.pause_over_limit" in out
