"""The reaper and the billing worker load every capability's plan-change hooks wherever they run."""

import subprocess
import sys


def test_hooks_of_other_capabilities_are_loaded_before_notifying():
    # A fresh interpreter, like a billing Lambda that never imports lily.social itself.
    code = (
        "from lily.billing import ports; ports.load_hook_modules(); "
        "print(sorted(h.__module__ + '.' + h.__name__ for h in ports.plan_change_hooks()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "lily.social.plan_hooks.pause_over_limit" in out
