"""The reaper and the billing worker load every capability's plan-change hooks wherever they run."""

from lily.billing import ports


def test_hooks_of_other_capabilities_are_loaded_before_notifying():
    ports._loaded = False
    ports.load_hook_modules()
    names = {getattr(h, "__module__", "") for h in ports.plan_change_hooks()}
    try:
        import lily.social.service  # noqa: F401
    except ImportError:
        return
    assert "lily.social.service" in names
