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
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.servers import Handler


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


def slow_redirect(location: str, delay: float, stop: Stopper) -> Handler:
    """A redirect that takes `delay` seconds: a chain of them must share one deadline."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        stop.wait(delay)
        _headers(h, 302, {"Location": location, "Content-Length": "0"})

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


def hostile_web(server: Any, stop: Stopper, internal_port: int) -> dict[str, str]:
    """Every misbehaviour of the suite on one server, as `{source name: feed URL}`, for a single run.

    `server` is a `tests.support.servers.NewsServer`; links to `internal_port` on 127.0.0.2 must be refused.
    """
    from tests.support.pages import TEMPLATES, rss, story

    def feed(prefix: str, links: list[tuple[str, str]]) -> str:
        items = [(title, href, "", None) for title, href in links]
        return server.add(
            f"{prefix}/feed.xml", rss(prefix, server.url(prefix + "/"), items), content_type="text/xml"
        )

    def page(path: str, i: int) -> str:
        return server.add(
            path, TEMPLATES[i % 3](story(path.strip("/").replace("/", "-"), f"Story at {path}"))
        )

    bomb = gzip_bomb_bytes(1 << 30)
    bomb2 = gzip_bomb_bytes(2 << 30, 2)
    sources: dict[str, str] = {}
    sources["Malformed"] = server.add(
        "/h/malformed.xml",
        rss("M", server.url("/h/"), [("Recoverable", page("/h/m1", 0), "", None)]).replace(
            "<channel>", "<channel>&"
        ),
        content_type="text/xml",
    )
    sources["Junk"] = server.add("/h/junk.xml", b"\x00\x01<<<>>>\xff", content_type="text/xml")
    sources["HTML"] = server.add("/h/html.xml", "<html><body>hello</body></html>")
    sources["Empty"] = server.add("/h/empty.xml", b"", content_type="text/xml")
    for code in (404, 410):
        sources[f"Status{code}"] = server.add_handler(f"/h/{code}.xml", status(code))
    for code in (429, 500, 503):
        sources[f"Retry{code}"] = server.add_handler(f"/h/r{code}.xml", status(code, {"Retry-After": "1"}))
    server.add_handler("/h/loop-a", redirect_to("/h/loop-b"))
    server.add_handler("/h/loop-b", redirect_to("/h/loop-a"))
    sources["Loop"] = server.url("/h/loop-a")
    for i in range(7):
        server.add_handler(f"/h/chain/{i}", redirect_to(f"/h/chain/{i + 1}"))
    sources["Chain"] = server.url("/h/chain/0")
    sources["HugeCL"] = server.add_handler(
        "/h/huge1.xml", endless(b"x" * 65536, 500_000_000, content_length=True)
    )
    sources["HugeNoCL"] = server.add_handler(
        "/h/huge2.xml", endless(b"x" * 65536, 500_000_000, content_length=False)
    )
    sources["Bomb"] = server.add_handler("/h/bomb.xml", gzip_bomb(bomb, 1, "text/xml"))
    sources["Bomb2"] = server.add_handler("/h/bomb2.xml", gzip_bomb(bomb2, 2, "text/xml"))
    sources["Trickle"] = server.add_handler("/h/trickle.xml", trickle(b"<rss>" * 100, stop, 1.0, "text/xml"))
    sources["Stall"] = server.add_handler("/h/stall.xml", stall_after_headers(stop))
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY a{i} "{("&a" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
        )
        + ']><rss version="2.0"><channel><title>&a9;</title><item><title>&a9;</title>'
        f"<link>{page('/h/laugh', 1)}</link></item></channel></rss>"
    )
    sources["Laughs"] = server.add("/h/laughs.xml", laughs, content_type="text/xml")
    server.add_handler("/h/page-bomb", gzip_bomb(bomb2, 2))
    server.add_handler("/h/page-trickle", trickle(b"<html>" * 100, stop, 1.0))
    server.add_handler("/h/page-huge", endless(b"<p>x</p>" * 8192, 500_000_000, content_length=False))
    server.add_handler("/h/page-redirect-internal", redirect_to(f"http://127.0.0.2:{internal_port}/secret"))
    server.add("/h/report.pdf", b"%PDF-1.4", content_type="application/pdf")
    server.add("/h/photo.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    sources["BadPages"] = feed(
        "/h/pages",
        [
            ("Bomb page", server.url("/h/page-bomb")),
            ("Trickle page", server.url("/h/page-trickle")),
            ("Huge page", server.url("/h/page-huge")),
            ("Internal", f"http://127.0.0.2:{internal_port}/secret"),
            ("Redirect to internal", server.url("/h/page-redirect-internal")),
            ("PDF", server.url("/h/report.pdf")),
            ("Image", server.url("/h/photo.jpg")),
            ("Script", "javascript:alert(1)"),
            ("Fine", page("/h/fine", 2)),
        ],
    )
    server.add_handler("/h/old.xml", redirect_to("/h/pages/feed.xml", 301))
    sources["Moved"] = server.url("/h/old.xml")
    return sources
