"""``make run``: start the emulator, provision, serve every HTTP function, poll queues, fire schedules."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from lily.local.net import free_port

LOCAL_DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",  # noqa: S105 - emulator credentials, not a secret
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "LILY_STAGE": "local",
    "LILY_OFFLINE": "true",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_DISABLED": "1",
    "POWERTOOLS_SERVICE_NAME": "lily",
}


def apply_local_defaults(env: dict[str, str] | None = None) -> None:
    """Set the environment local mode needs, keeping anything the user already set."""
    for k, v in LOCAL_DEFAULTS.items():
        os.environ.setdefault(k, v)
    for k, v in (env or {}).items():
        os.environ[k] = v


def start_emulator() -> Any | None:
    """Start moto's server unless ``AWS_ENDPOINT_URL`` already points at an emulator."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return None
    from lily.local.emulator import start_server

    port = free_port()
    server = start_server(port)  # DynamoDB applies writes to one item one at a time, moto must too
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    return server


@dataclass
class LocalSuite:
    """Everything local mode runs, built from the function declarations."""

    gateway: Any
    pollers: list[Any] = field(default_factory=list)
    clocks: list[Any] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start_background(self) -> None:
        for worker in [*self.pollers, *self.clocks]:
            t = threading.Thread(target=worker.run, args=(self.stop,), daemon=True,
                                 name=f"lily-{worker.spec.name}")
            t.start()
            self.threads.append(t)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Stop every worker and clock; they finish their current item together, within one deadline."""
        self.stop.set()
        deadline = time.monotonic() + timeout_s
        for t in self.threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))


class FunctionModules:
    """Each function's handler module, imported once, at its first use (``lazy``) or all at ``build_suite``.

    A test drives a few functions: importing all ~50 handler modules for each test (every FastAPI app's routes
    analysed again, every worker's wiring built) was half of the integration suite's CPU. Local mode
    (``make run``) imports them all at start, so a broken function fails there at once.
    """

    def __init__(self) -> None:
        self._modules: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, spec: Any) -> Any:
        from lily.core import functions

        with self._lock:
            module = self._modules.get(spec.name)
            if module is None:
                module = self._modules[spec.name] = functions.load_handler_module(spec)
            return module


class LazyApp:
    """An HTTP function's ASGI app, its module imported at the first request (or attribute read)."""

    def __init__(self, modules: FunctionModules, spec: Any) -> None:
        self._modules = modules
        self._spec = spec

    @property
    def app(self) -> Any:
        return self._modules.get(self._spec).app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:  # .routes, .openapi(): the FastAPI app's own
        return getattr(self.app, name)


class LazyHandler:
    """A worker's or schedule's ``handler(event, context)``, its module imported at the first invocation."""

    def __init__(self, modules: FunctionModules, spec: Any) -> None:
        self._modules = modules
        self._spec = spec

    def __call__(self, event: dict, context: Any) -> Any:
        return self._modules.get(self._spec).handler(event, context)


def build_suite(lazy: bool = False) -> LocalSuite:
    """Provision the emulator and load every function (the environment must be set first); with ``lazy``, each
    function's module is imported when it is first invoked (the tests)."""
    from lily.core import functions
    from lily.core.config import get_settings, reset_settings
    from lily.core.functions import Http, Queue, Schedule
    from lily.local import routes
    from lily.local.gateway import Gateway, build_root, merged_openapi, routes_for
    from lily.local.provision import provision
    from lily.local.workers import QueuePoller, ScheduleClock

    specs = functions.discover()
    os.environ.setdefault("LILY_FUNCTION_COUNT", str(len(specs)))
    reset_settings()
    provision()
    modules = FunctionModules()
    if not lazy:
        for spec in specs:
            modules.get(spec)
    http, pollers, clocks = [], [], []
    for spec in specs:
        if isinstance(spec.trigger, Http):
            http.append((spec, LazyApp(modules, spec)))
        elif isinstance(spec.trigger, Queue):
            pollers.append(QueuePoller(spec, LazyHandler(modules, spec)))
        elif isinstance(spec.trigger, Schedule):
            sched = ScheduleClock(spec, LazyHandler(modules, spec))
            clocks.append(sched)
            routes.SCHEDULES[spec.name] = sched.fire

    apps = [app for _, app in http]
    cache: dict[str, Any] = {}

    def openapi() -> dict:
        if "doc" not in cache:
            cache["doc"] = merged_openapi(apps, get_settings().version)
        return cache["doc"]

    gateway = Gateway(routes_for(http), build_root(openapi))
    return LocalSuite(gateway=gateway, pollers=pollers, clocks=clocks)


def main() -> int:
    import uvicorn

    host = os.environ.get("LILY_HOST", "127.0.0.1")
    port = int(os.environ.get("LILY_PORT", "8000"))
    apply_local_defaults({"LILY_PUBLIC_BASE_URL": os.environ.get("LILY_PUBLIC_BASE_URL",
                                                                 f"http://{host}:{port}")})
    # Outbound webhooks may reach this gateway's /_local/webhook-sink, over plain http (local mode only).
    os.environ.setdefault("LILY_WEBHOOKS_HTTPS_ONLY", "false")
    os.environ.setdefault("LILY_WEBHOOKS_ALLOWED_PRIVATE", json.dumps([f"{host}:{port}", f"localhost:{port}"]))
    from lily.core.observability import logger
    from lily.local.sandboxes import start_all
    from lily.local.serve import stop_all

    emulator = start_emulator()
    sandboxes = start_all() if os.environ.get("LILY_OFFLINE", "true").lower() == "true" else []
    suite = build_suite()
    suite.start_background()
    config = uvicorn.Config(suite.gateway, host=host, port=port, log_level="warning", lifespan="off",
                            access_log=False)
    server = uvicorn.Server(config)

    def _stop(signum, frame):  # noqa: ARG001
        server.should_exit = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    logger.info("Lily local mode is running", extra={
        "api": f"http://{host}:{port}", "docs": f"http://{host}:{port}/docs",
        "emulator": os.environ["AWS_ENDPOINT_URL"], "queues": [p.trigger.queue for p in suite.pollers],
        "schedules": [c.spec.name for c in suite.clocks],
        "sandboxes": {sb.name: sb.base_url for sb in sandboxes},
    })
    print(f"Lily is running at http://{host}:{port}  (docs: http://{host}:{port}/docs; Ctrl-C stops)",
          flush=True)
    try:
        server.run()
    finally:
        suite.shutdown()
        stop_all([sandbox.server for sandbox in sandboxes if sandbox.server is not None])
        if emulator is not None:
            emulator.stop()
        logger.info("Lily local mode stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
