"""Lily's CDK app: a stateful stack (tables, buckets, keys, queues, secrets), a service stack (the HTTP API,
alarms, dashboard) and the function stacks (one Lambda per declared function with its routes, schedule or queue
consumer, spread over ``lily_infra.function_stacks.FUNCTION_STACKS`` stacks).

Everything is generated from the declarations in ``lily`` (``discover()``, ``declared_models()``,
``BUCKETS``, ``SECRETS``): adding a function folder or a model changes the app without touching
this package.
"""

from __future__ import annotations

from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parents[1]
ROOT = INFRA_DIR.parent
