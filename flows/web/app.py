"""The console's web application: routes, templates, the guard in front of them, and errors as pages.

Every page is one read-only session on the database (`Store.pinned_reads`: the file opened once,
read, and closed), taken one page at a time, so the console holds the file for milliseconds and
an ingest that wants to write waits at most that long. A page that finds the file held by a writer
for longer than `wait` seconds says so (503, Retry-After) instead of hanging.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from flows.config import Config
from flows.stages.delivery.digest.render import language_name, safe_url
from storage import DatabaseBusy, StorageError, Store
from storage.errors import DatabaseError

log = logging.getLogger("newswatch.web")

TEMPLATES = Path(__file__).with_name("templates")
# No script runs, nothing loads from elsewhere: a title that slipped past escaping could do nothing.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class PageError(Exception):
    """A page that cannot be shown as asked: its status and a sentence for the analyst."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Page:
    template: str
    context: dict[str, Any]
    status: int = 200
    title: str = ""


@dataclass
class Console:
    """What every page needs: the settings, the store, the templates; one database session at a time."""

    config: Config
    store: Store
    env: Environment
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def tz(self) -> ZoneInfo:
        return self.config.settings.tz

    def local(self, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(self.tz).strftime(fmt) if value else ""

    def render(self, page: Page, request: Request) -> HTMLResponse:
        context = {
            "page_title": page.title,
            "path": request.url.path,
            "timezone": self.config.settings.timezone,
            "local": self.local,
            **page.context,
        }
        html = self.env.get_template(page.template).render(context)
        return HTMLResponse(html, status_code=page.status)


def highlight(text: str | None, spans: list[tuple[int, int]] | None) -> Markup:
    """`text` escaped, with the given character ranges in <mark>."""
    text = text or ""
    out, pos = [], 0
    for start, end in sorted(spans or []):
        if start < pos:
            continue
        out += [escape(text[pos:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        language_name=language_name, safe_url=safe_url, highlight=highlight, num=lambda n: f"{int(n or 0):,}"
    )
    return env


def _error_page(console: Console, request: Request, status: int, message: str) -> HTMLResponse:
    page = Page("error.html", {"status": status, "message": message}, status, "Error")
    response = console.render(page, request)
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def _endpoint(console: Console, build: Callable[[Console, Request], Page]) -> Callable[[Request], Response]:
    """A page: built in a worker thread (Starlette runs plain functions in its thread pool) inside
    one read-only session on the database; storage trouble becomes a page that says what it is."""

    def endpoint(request: Request) -> Response:
        try:
            with console.lock, console.store.pinned_reads():
                page = build(console, request)
        except PageError as exc:
            return _error_page(console, request, exc.status, str(exc))
        except DatabaseBusy as exc:
            return _error_page(console, request, 503, f"The database is busy: {exc}")
        except StorageError as exc:
            return _error_page(console, request, 503, str(exc))
        except DatabaseError as exc:  # an older schema (run an ingest to upgrade it), a broken file
            log.warning("%s: %s", request.url.path, exc)
            return _error_page(console, request, 500, f"The database could not answer this page: {exc}")
        return console.render(page, request)

    return endpoint


class Guard:
    """In front of every route: the Host header (a loopback-only console answers only to loopback
    names, so a web page elsewhere cannot reach it by DNS rebinding), HTTP basic auth when a password
    is set, and the security headers on every response."""

    def __init__(self, app: ASGIApp, password: str | None, loopback_only: bool) -> None:
        self.app = app
        self.password = password
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        if (
            self.loopback_only
            and host_name(headers.get(b"host", b"").decode("latin-1")) not in LOOPBACK_NAMES
        ):
            await _plain(secured, 421, "this console answers only on its loopback address\n")
            return
        if self.password is not None and not self.authorised(headers.get(b"authorization", b"")):
            extra = [(b"www-authenticate", b'Basic realm="newswatch", charset="UTF-8"')]
            await _plain(secured, 401, "log in with the console password (NEWSWATCH_WEB_PASSWORD)\n", extra)
            return
        await self.app(scope, receive, secured)

    def authorised(self, header: bytes) -> bool:
        scheme, _, value = header.decode("latin-1").partition(" ")
        if scheme.lower() != "basic" or self.password is None:
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        _, _, given = decoded.partition(":")
        return secrets.compare_digest(given.encode(), self.password.encode())


def host_name(host: str) -> str:
    """The name in a Host header, without its port ([::1]:8080 -> [::1])."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


def create_app(
    config: Config, store: Store, *, password: str | None = None, loopback_only: bool = True
) -> Guard:
    """The console as an ASGI application over `store` (opened read-only by every page)."""
    from flows.web import news, panels, watches

    console = Console(config, store, environment())

    def route(path: str, build: Callable[[Console, Request], Page]) -> Route:
        return Route(path, _endpoint(console, build), methods=["GET", "HEAD"])

    def digest_file(request: Request) -> Response:
        try:
            with console.lock, console.store.pinned_reads():
                html = panels.digest_html(console, request)
        except PageError as exc:
            return _error_page(console, request, exc.status, str(exc))
        except StorageError as exc:
            return _error_page(console, request, 503, str(exc))
        return HTMLResponse(html)

    def not_found(request: Request, exc: Exception) -> Response:
        return _error_page(console, request, 404, f"There is no page at {request.url.path}.")

    routes = [
        route("/", news.today),
        route("/search", news.search),
        route("/story/{cluster_id:int}", news.story),
        route("/watches", watches.watches),
        route("/watches/{name}", watches.watch),
        route("/sources", panels.sources),
        route("/coverage", panels.coverage),
        route("/digests", panels.digests),
        Route("/digests/{day}", digest_file, methods=["GET", "HEAD"]),
        Route("/favicon.ico", lambda request: Response(status_code=204), methods=["GET", "HEAD"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found})
    return Guard(app, password, loopback_only)
