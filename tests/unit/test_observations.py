"""In-process metric records stay bounded in a long-lived (warm) container."""

from __future__ import annotations

from lily.core import observability
from lily.core.observability import OBSERVATIONS_KEPT, observations, observe


def test_a_series_keeps_only_its_newest_observations():
    # (mutmut runs the unit tests twice in one process: start from no observations of this metric)
    for key in [k for k in observability._observations if k[0] == "test_bounded_seconds"]:
        del observability._observations[key]
    for i in range(OBSERVATIONS_KEPT + 250):
        observe("test_bounded_seconds", float(i), series="one")
    kept = observations("test_bounded_seconds", series="one")
    assert len(kept) == OBSERVATIONS_KEPT
    assert kept[0] == 250.0 and kept[-1] == float(OBSERVATIONS_KEPT + 249)  # the oldest went first
    observe("test_bounded_seconds", 1.0, series="two")
    assert observations("test_bounded_seconds", series="two") == [1.0]
    assert len(observations("test_bounded_seconds")) == OBSERVATIONS_KEPT + 1
    assert all(len(v) <= OBSERVATIONS_KEPT for v in observability._observations.values())


def test_lily_log_level_sets_the_loggers_level():
    import os
    import subprocess
    import sys

    code = "import logging; from lily.core.observability import logger; print(logging.getLevelName(logger.log_level))"
    env = {k: v for k, v in os.environ.items() if k not in ("POWERTOOLS_LOG_LEVEL", "LOG_LEVEL")}
    out = subprocess.run([sys.executable, "-c", code], env={**env, "LILY_LOG_LEVEL": "WARNING"},
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "WARNING"
