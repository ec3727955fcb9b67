"""Lily's CDK app: a stateful stack (tables, buckets, keys, queues, secrets) and a service stack
(one Lambda per declared function, the HTTP API, schedules, queue consumers, alarms, dashboard).

Everything is generated from the declarations in ``lily`` (``discover()``, ``declared_models()``,
``BUCKETS``, ``SECRETS``): adding a function folder or a model changes the app without touching
this package.
"""

from __future__ import annotations

from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parents[1]
ROOT = INFRA_DIR.parent
