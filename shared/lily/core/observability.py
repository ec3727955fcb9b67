"""Powertools Logger, Tracer and Metrics, created once for the whole process.

Use :func:`count` / :func:`observe` for metrics with dimensions (``plan_limit_hits_total{feature,plan}``):
each call emits one EMF document through Powertools and also bumps an in-process registry that
tests and the local runner's ``/_local/metrics`` read.

The Tracer is built on first use (:func:`tracer`), not at import: building it loads the X-Ray SDK and
patches botocore and the HTTP clients, which costs more than ``import boto3`` itself (Powertools loads the SDK
even for a disabled Tracer). Handlers are traced with :func:`trace_handler`: where tracing is on (a Lambda
environment without ``POWERTOOLS_TRACE_DISABLED``) it builds the Tracer at the first invocation, and deployed
functions build it before their SnapStart snapshot instead (:mod:`lily.core.snapstart`), so no invocation pays
for it; where tracing is off (local mode, tests, the cold-start bench) no X-Ray code is loaded at all.
"""

from __future__ import annotations

import contextvars
import functools
import os
import threading
import warnings
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice
from aws_lambda_powertools.utilities.jmespath_utils import query

SERVICE = "lily"
NAMESPACE = "Lily"

# Jobs that emit no metric are normal; Powertools would warn on every invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish")

# LILY_LOG_LEVEL is the documented switch (the cloud sets POWERTOOLS_LOG_LEVEL to the same value); Powertools
# reads only its own variables, so local mode and the benches would log at INFO whatever they asked for.
logger = Logger(service=SERVICE, level=os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LILY_LOG_LEVEL"))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


H = Callable[[Any, Any], Any]


def log_invocation(correlation_id_path: str | None = None) -> Callable[[H], H]:
    """Powertools' ``inject_lambda_context(clear_state=True)`` with the invocation's keys (function name and
    request id, cold start, correlation id) in the logger's per-context keys, not its process-wide ones.

    In Lambda a process runs one invocation at a time and either would do. Local mode runs every function in
    one process, each worker in a thread of its own and HTTP requests beside them, and process-wide keys
    labelled one function's logs with another's name (a failed ``content/generate`` logged as ``dispatcher``).
    The handler runs in a copy of the caller's context, so its keys never outlive it.
    """

    def decorate(handler: H) -> H:
        def invoke(event: Any, context: Any) -> Any:
            cid = query(envelope=correlation_id_path, data=event) if correlation_id_path else None
            bind_invocation(context, cid)
            return handler(event, context)

        @functools.wraps(handler)
        def run(event: Any, context: Any) -> Any:
            return contextvars.copy_context().run(invoke, event, context)

        return run

    return decorate


_invoked: set[str] = set()


def bind_invocation(context: Any, correlation_id: str | None = None) -> None:
    """Label the logs of the current context (an invocation, or a request of the local gateway) with Lambda
    context ``context``: its keys replace whatever the context held."""
    keys = build_lambda_context_model(context).__dict__
    cold_start = keys["function_name"] not in _invoked  # per function: local mode runs them all in one process
    _invoked.add(keys["function_name"])
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(cold_start=cold_start, **keys,
                                   **({"correlation_id": correlation_id} if correlation_id else {}))


def set_correlation_id(value: str | None) -> None:
    """This context's correlation id (None forgets it)."""
    kept = {k: v for k, v in logger.thread_safe_get_current_keys().items() if k != "correlation_id"}
    logger.thread_safe_clear_keys()  # a new mapping: Powertools' remove would edit the one the parent holds
    logger.thread_safe_append_keys(**kept, **({"correlation_id": value} if value else {}))


def correlation_id() -> str | None:
    """This context's correlation id."""
    return logger.thread_safe_get_current_keys().get("correlation_id")


def with_log_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` to run in other threads (a pool's) under the calling context's log keys: a new thread starts
    with none."""
    keys = dict(logger.thread_safe_get_current_keys())

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        def call() -> Any:
            logger.thread_safe_clear_keys()
            logger.thread_safe_append_keys(**keys)
            return fn(*args, **kwargs)

        return contextvars.copy_context().run(call)

    return run


@functools.cache
def tracer() -> Tracer:
    """The process's Powertools Tracer (X-Ray), built on first use."""
    return Tracer(service=SERVICE)


def tracing_enabled() -> bool:
    """Powertools' own rule (``Tracer._is_tracer_disabled``): on in a Lambda environment, off when
    ``POWERTOOLS_TRACE_DISABLED`` says so and outside Lambda or in its SAM and Chalice emulators."""
    if resolve_truthy_env_var_choice(env=os.getenv(constants.TRACER_DISABLED_ENV, "false")):
        return False
    emulated = os.getenv(constants.SAM_LOCAL_ENV) or os.getenv(constants.CHALICE_LOCAL_ENV)
    return bool(os.getenv(constants.LAMBDA_TASK_ROOT_ENV)) and not emulated


def trace_handler(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``tracer().capture_lambda_handler`` that never records the handler's response or error detail.

    Responses carry access tokens, refresh cookies, new API keys and TOTP secrets, and an error's message may
    quote input: neither may land in X-Ray. Powertools' response and error metadata are off (here, and in every
    function's environment through ``POWERTOOLS_TRACER_CAPTURE_RESPONSE``/``..._ERROR`` for any other traced
    method); the X-Ray SDK itself would still copy an escaping exception's message and stack into the
    subsegment, so :func:`_fault_without_detail` hands it the exception already marked as recorded.
    """

    @functools.cache
    def traced() -> Callable[[Any, Any], Any]:
        if not tracing_enabled():
            return handler
        return tracer().capture_lambda_handler(_fault_without_detail(handler), capture_response=False,
                                               capture_error=False)

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        return traced()(event, context)

    return wrapper


def _fault_without_detail(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Re-raise the handler's exception unchanged (Lambda and the logs still see it whole), marked the way the
    X-Ray SDK marks an exception it has recorded: ``Entity.add_exception`` then flags the fault and stores only
    a cause id, without message or stack. ``tests/unit/test_tracing.py`` holds this against the real SDK."""

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        except Exception as exc:
            exc._recorded = True  # type: ignore[attr-defined]
            exc._cause_id = os.urandom(8).hex()  # type: ignore[attr-defined]
            raise

    return run


_lock = threading.Lock()
_counters: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
# The newest observations per series only: a warm container serves for hours, and these are for local mode and
# tests to read back (the metrics themselves go out as EMF), not a store that may grow with every request.
OBSERVATIONS_KEPT = 1000
_observations: dict[tuple[str, tuple[tuple[str, str], ...]], deque[float]] = defaultdict(
    lambda: deque(maxlen=OBSERVATIONS_KEPT))


def _key(name: str, dims: dict[str, object]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted((k, str(v)) for k, v in dims.items()))


# Powertools' own switch; single_metric ignores it, so honour it here (local mode and tests set it).
_EMF_ENABLED = os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() not in ("1", "true")


def _emit(name: str, unit: MetricUnit, value: float, dims: dict[str, object]) -> None:
    if not _EMF_ENABLED:
        return
    with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE) as metric:
        for k, v in dims.items():
            metric.add_dimension(name=k, value=str(v))


def count(name: str, value: int = 1, **dims: object) -> None:
    """Increment counter ``name`` with dimensions ``dims``."""
    with _lock:
        _counters[_key(name, dims)] += value
    _emit(name, MetricUnit.Count, value, dims)


def observe(name: str, value: float, unit: MetricUnit = MetricUnit.Seconds, **dims: object) -> None:
    """Record one observation of a distribution (durations, lag)."""
    with _lock:
        _observations[_key(name, dims)].append(value)
    _emit(name, unit, value, dims)


def counter_value(name: str, **dims: object) -> int:
    """Sum of counter ``name`` over every series whose dimensions include ``dims``."""
    want = {(k, str(v)) for k, v in dims.items()}
    with _lock:
        return sum(v for (n, d), v in _counters.items() if n == name and want <= set(d))


def observations(name: str, **dims: object) -> list[float]:
    """The newest observations (at most :data:`OBSERVATIONS_KEPT` per series) of ``name`` whose dimensions
    include ``dims``."""
    want = {(k, str(v)) for k, v in dims.items()}
    with _lock:
        out: list[float] = []
        for (n, d), values in _observations.items():
            if n == name and want <= set(d):
                out.extend(values)
        return out


def snapshot() -> dict[str, list[dict[str, object]]]:
    """Every counter series, for ``/_local/metrics``."""
    with _lock:
        out: dict[str, list[dict[str, object]]] = defaultdict(list)
        for (n, d), v in sorted(_counters.items()):
            out[n].append({"dimensions": dict(d), "value": v})
        return dict(out)
