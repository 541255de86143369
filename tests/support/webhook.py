"""A webhook receiver on loopback: records every POST (path, headers, JSON body); answers each with
the next status of `statuses` (then 200), so a test can make the first deliveries fail. `posts` are
those answered 200, `received` the paths of all of them."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Post:
    path: str
    headers: dict[str, str]
    body: Any


class WebhookServer:
    def __init__(self, statuses: list[int] | None = None) -> None:
        self.posts: list[Post] = []
        self.received: list[str] = []
        self.statuses = list(statuses or [])
        self.lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    server.received.append(self.path)
                    status = server.statuses.pop(0) if server.statuses else 200
                    if status == 200:
                        server.posts.append(
                            Post(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(body))
                        )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
