"""Misbehaving HTTP handlers for the hostile-web suite, built on `NewsServer.add_handler`.

Every handler is a plain function of the request handler, so a test reads as "this path trickles",
"this path is a gzip bomb". Handlers that stall wait on `STOP` (set at teardown) rather than sleep
forever, so the server shuts down cleanly.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

Handler = Callable[[BaseHTTPRequestHandler], None]


class Stopper:
    """One event per test: stalled handlers return when it is set."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)

    def set(self) -> None:
        self.event.set()


def _headers(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    h.send_response(status)
    for k, v in headers.items():
        h.send_header(k, v)
    h.end_headers()


def _write(h: BaseHTTPRequestHandler, data: bytes) -> bool:
    try:
        h.wfile.write(data)
        h.wfile.flush()
        return True
    except OSError:  # the client hung up, as it should
        return False


def trickle(body: bytes, stop: Stopper, interval: float = 1.0, content_type: str = "text/html") -> Handler:
    """A correct Content-Length, then one byte every `interval` seconds: only a deadline ends it."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        _headers(h, 200, {"Content-Type": content_type, "Content-Length": str(len(body))})
        for i in range(len(body)):
            if not _write(h, body[i : i + 1]) or stop.wait(interval):
                return
        h.close_connection = True

    return handle


def stall_after_headers(stop: Stopper) -> Handler:
    """Headers promptly, then nothing."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        _headers(h, 200, {"Content-Type": "application/rss+xml", "Content-Length": "100000"})
        _write(h, b"<?xml version='1.0'?><rss version='2.0'><channel>")
        stop.wait(600)
        h.close_connection = True

    return handle


def endless(chunk: bytes, total: int, *, content_length: bool, content_type: str = "text/html") -> Handler:
    """A body of `total` bytes, announced (Content-Length) or not (read until close)."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        headers = {"Content-Type": content_type}
        if content_length:
            headers["Content-Length"] = str(total)
        else:
            headers["Connection"] = "close"
        _headers(h, 200, headers)
        sent = 0
        while sent < total:
            piece = chunk[: total - sent]
            if not _write(h, piece):
                break
            sent += len(piece)
        h.close_connection = True

    return handle


def gzip_bomb_bytes(decoded_size: int, layers: int = 1) -> bytes:
    """`decoded_size` zero bytes gzipped `layers` times (two layers: kilobytes that decode to gigabytes).

    One MiB of zeros is deflated once after a full flush (which resets the window), so the same
    compressed segment can be repeated: a gigabyte costs milliseconds to build.
    """
    mib = 1 << 20
    blocks = max(1, decoded_size // mib)
    block = b"\0" * mib
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    segment = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    size = blocks * mib
    data = (
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        + segment * blocks
        + final
        + struct.pack("<II", crc, size & 0xFFFFFFFF)
    )
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


def gzip_bomb(data: bytes, layers: int = 1, content_type: str = "text/html") -> Handler:
    encoding = ", ".join(["gzip"] * layers)

    def handle(h: BaseHTTPRequestHandler) -> None:
        _headers(
            h,
            200,
            {"Content-Type": content_type, "Content-Encoding": encoding, "Content-Length": str(len(data))},
        )
        _write(h, data)

    return handle


def redirect_to(location: str, status: int = 302) -> Handler:
    def handle(h: BaseHTTPRequestHandler) -> None:
        _headers(h, status, {"Location": location, "Content-Length": "0"})

    return handle


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Handler:
    def handle(h: BaseHTTPRequestHandler) -> None:
        _headers(h, code, {"Content-Type": "text/plain", "Content-Length": str(len(body)), **(headers or {})})
        if body:
            _write(h, body)

    return handle


def flaky(failures: list[Handler], then: Handler) -> Handler:
    """The first requests get `failures` in turn, later ones `then`."""
    lock = threading.Lock()
    left = list(failures)

    def handle(h: BaseHTTPRequestHandler) -> None:
        with lock:
            current = left.pop(0) if left else then
        current(h)

    return handle


def raw(response: bytes) -> Handler:
    """Bytes written as they are, status line and headers included, then the connection closed."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        _write(h, response)
        h.close_connection = True

    return handle


class SilentListener:
    """Accepts TCP connections (the kernel completes the handshake) and never answers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.host = host
        self.port = self.sock.getsockname()[1]

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def close(self) -> None:
        self.sock.close()
