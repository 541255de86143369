"""Running the console: where it may bind, and uvicorn in the foreground or in a thread.

It binds to loopback unless told otherwise; any other address needs NEWSWATCH_WEB_PASSWORD (HTTP
basic auth), and without it the bind is refused before any socket is opened.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from flows.config import WEB_PASSWORD_ENV
from flows.exposure import is_loopback, unguarded_bind

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "WebBindError", "WebServer", "check_bind", "is_loopback"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


class WebBindError(ValueError):
    """A bind the console refuses (the CLI exits 2)."""


def check_bind(host: str, port: int, password: str | None) -> None:
    """Refuse a non-loopback address without a password, and a port out of range."""
    if not 0 < port < 65536:
        raise WebBindError(f"--port {port}: give a port between 1 and 65535")
    refused = unguarded_bind("the web console", host, password, WEB_PASSWORD_ENV, "HTTP basic auth")
    if refused:
        raise WebBindError(refused)


@dataclass
class WebServer:
    """uvicorn serving the console's application on host:port."""

    app: Any
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    def __post_init__(self) -> None:
        import uvicorn

        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self, timeout: float = 30.0) -> None:
        """In a thread of its own (no signal handlers there); returns once it listens."""
        self.thread = threading.Thread(target=self.server.run, name="newswatch-web", daemon=True)
        self.thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if self.server.started or not self.thread.is_alive():
                break
            deadline.wait(0.02)
        if not self.server.started:
            self.stop()
            raise OSError(f"the web console could not listen on {self.host}:{self.port}")

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
            self.thread = None
