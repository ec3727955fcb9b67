"""Serve an ASGI app on a loopback port in a background thread (sandboxes, tests)."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from lily.local.net import free_port


class ThreadedServer:
    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(app, host=host, port=self.port, log_level="warning", lifespan="off",
                                access_log=False, timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # the main thread owns signals
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"serve-{self.port}")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        stop_all([self])


def stop_all(servers: list[ThreadedServer], timeout_s: float = 5.0) -> None:
    """Ask every server to exit first, then wait for them together: one deadline, not one per server."""
    for server in servers:
        server.server.should_exit = True
    deadline = time.monotonic() + timeout_s
    for server in servers:
        server.thread.join(timeout=max(0.0, deadline - time.monotonic()))
