"""HTTP: one `httpx.AsyncClient` per run, with the limits, retries and guards of SPEC 7.

Every request goes through `Fetcher.get`, which never raises for a bad response: it returns a
`FetchResult` whose `error` says what went wrong, so that one bad page cannot stop a run.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import socket
import time
import urllib.robotparser
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from flows.config import Settings

Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 120.0
HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/x-rss+xml",
    "text/html",  # many servers mislabel feeds; feedparser decides
    "text/plain",
    "application/octet-stream",
)
REDIRECT_CODES = {301, 302, 303, 307, 308}
RETRY_CODES = {429, 500, 502, 503, 504}


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    skipped: bool = False  # refused on purpose (robots, content type, private address): not a failure
    not_modified: bool = False
    moved_to: str | None = None  # the first hop was a permanent redirect to here
    elapsed_ms: float = 0.0
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and not self.skipped

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def outcome(self) -> str:
        if self.not_modified:
            return "not_modified"
        if self.skipped:
            return "skipped"
        return "error" if self.error else "ok"


class _Refused(Exception):
    """The request is not made (or not completed) on purpose; not retried."""

    def __init__(self, message: str, *, skipped: bool = False) -> None:
        super().__init__(message)
        self.skipped = skipped


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class _BoundedDecoder:
    """Undo Content-Encoding layers chunk by chunk, never making more than a step of output at once.

    httpx decodes a whole network chunk in one call, so gzip inside gzip turns kilobytes into
    gigabytes before any size check can run; here every layer is inflated a megabyte at a time.
    """

    STEP = 1 << 20

    def __init__(self, header: str) -> None:
        names = [n.strip().lower() for n in header.split(",") if n.strip()]
        self.layers: list[Any] = []
        for name in reversed(names):  # the last encoding listed was applied last
            if name in ("gzip", "x-gzip"):
                self.layers.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif name == "deflate":
                self.layers.append(None)  # zlib-wrapped or raw: decided by the first bytes
            elif name != "identity":
                raise _Refused(f"unsupported Content-Encoding {name!r}")

    def feed(self, data: bytes, index: int = 0) -> Iterator[bytes]:
        if index == len(self.layers):
            if data:
                yield data
            return
        layer = self.layers[index]
        if layer is None:
            wrapped = len(data) >= 2 and (data[0] & 0x0F) == 8 and int.from_bytes(data[:2], "big") % 31 == 0
            wbits = zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS
            layer = self.layers[index] = zlib.decompressobj(wbits)
        while not layer.eof:
            out = layer.decompress(data, self.STEP)
            data = layer.unconsumed_tail
            if out:
                yield from self.feed(out, index + 1)
            if not data and len(out) < self.STEP:
                break


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.IPv4Network("100.64.0.0/10"))
    )


def _unmapped(address: str) -> str:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _pinned_url(url: str, address: str) -> str:
    """`url` with its host replaced by the address it was checked to resolve to."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now_ts = time.time() if now is None else now
    return max(0.0, when.timestamp() - now_ts)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Fetcher:
    """Shared limits and guards for every request of a run."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        trusted_hosts: set[str] | None = None,
        resolver: Resolver | None = None,
        backoff_base: float = 0.5,
    ) -> None:
        self.client = client
        self.settings = settings
        self.trusted_hosts = {h.lower() for h in (trusted_hosts or set())}
        self.resolver = resolver or system_resolver
        # an injected resolver is the test's (or an embedder's) DNS: connections must follow it too
        self.pin_always = resolver is not None
        self.backoff_base = backoff_base
        self._global = asyncio.Semaphore(settings.max_concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, asyncio.Task[urllib.robotparser.RobotFileParser | None]] = {}

    @staticmethod
    def make_client(
        settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> httpx.AsyncClient:
        limits = httpx.Limits(
            max_connections=settings.max_concurrency,
            max_keepalive_connections=settings.max_concurrency,
        )
        return httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.timeout_seconds, connect=min(10.0, settings.timeout_seconds)),
            limits=limits,
            follow_redirects=False,
            transport=transport,
            trust_env=False,
        )

    def _host_semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._per_host.get(host)
        if sem is None:
            sem = self._per_host[host] = asyncio.Semaphore(self.settings.per_host_concurrency)
        return sem

    async def check_address(self, url: str) -> str | None:
        """Refuse links that resolve to loopback, private or link-local addresses (SPEC 7, Safety).

        Returns the checked address to connect to, so that a second DNS answer (rebinding) cannot
        send the request elsewhere; None when the host is an address already or needs no check.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise _Refused(f"unsupported URL scheme {parts.scheme!r}", skipped=True)
        host = (parts.hostname or "").lower()
        if not host:
            raise _Refused("URL has no host", skipped=True)
        exempt = self.settings.allow_private_networks or host in self.trusted_hosts
        try:
            addresses = [str(ipaddress.ip_address(host))]
            literal = True
        except ValueError:
            literal = False
        if exempt and (literal or not self.pin_always):
            return None
        if not literal:
            try:
                addresses = await self.resolver(host, parts.port or (443 if parts.scheme == "https" else 80))
            except (OSError, UnicodeError) as exc:
                raise _Retryable(f"cannot resolve {host}: {exc}") from exc
        bad = [a for a in addresses if not is_public_address(a)]
        if not exempt and (bad or not addresses):
            raise _Refused(
                f"refused: {host} resolves to a private, loopback or link-local address ({', '.join(bad)});"
                " set allow_private_networks: true to allow",
                skipped=True,
            )
        if literal or not addresses:
            return None
        plain = [_unmapped(a) for a in addresses]
        return next((a for a in plain if ":" not in a), plain[0])

    async def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        accept: tuple[str, ...] | None = HTML_TYPES,
        check_robots: bool = False,
        retries: int | None = None,
    ) -> FetchResult:
        """GET `url` with redirects, retries and every guard; never raises for the response's faults."""
        result = FetchResult(url=url, final_url=url)
        started = time.monotonic()
        max_attempts = 1 + (self.settings.max_retries if retries is None else retries)
        try:
            if check_robots and self.settings.respect_robots_txt and not await self.allowed_by_robots(url):
                raise _Refused("disallowed by robots.txt", skipped=True)
            while True:
                result.attempts += 1
                try:
                    await self._attempt(url, headers or {}, accept, result)
                    break
                except _Retryable as exc:
                    if result.attempts >= max_attempts:
                        raise _Refused(str(exc)) from exc
                    if exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER:
                        raise _Refused(f"{exc} (Retry-After {exc.retry_after:.0f} s is too long)") from exc
                    delay = (
                        exc.retry_after
                        if exc.retry_after is not None
                        else self.backoff_base * 2 ** (result.attempts - 1)
                    )
                    await asyncio.sleep(min(delay, MAX_RETRY_AFTER))
        except _Refused as exc:
            result.error = str(exc)
            result.skipped = exc.skipped
            result.body = b""
        result.elapsed_ms = (time.monotonic() - started) * 1000
        return result

    async def _attempt(
        self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None, result: FetchResult
    ) -> None:
        current = url
        # one deadline for the whole response, redirects included: time spent on the network by
        # every hop counts against it (waiting for a concurrency slot does not)
        budget = self.settings.timeout_seconds
        for hop in range(MAX_REDIRECTS + 1):
            pinned = await self.check_address(current)
            host = host_of(current)
            async with self._global, self._host_semaphore(host):
                hop_started = time.monotonic()
                try:
                    async with asyncio.timeout(max(budget, 0.001)):
                        status, resp_headers, body = await self._request(current, headers, accept, pinned)
                except TimeoutError as exc:
                    raise _Retryable(
                        f"timed out: no complete response within {self.settings.timeout_seconds:g} s"
                    ) from exc
                except httpx.TimeoutException as exc:
                    raise _Retryable(f"timed out ({type(exc).__name__})") from exc
                except (httpx.TransportError, OSError) as exc:
                    raise _Retryable(f"connection failed: {exc or type(exc).__name__}") from exc
            budget -= time.monotonic() - hop_started
            result.status = status
            result.headers = resp_headers
            result.final_url = current
            if status in REDIRECT_CODES:
                location = resp_headers.get("location")
                if not location:
                    raise _Refused(f"HTTP {status} without a Location header")
                target = urljoin(current, location.strip())
                if hop == 0 and status in (301, 308):
                    result.moved_to = target
                if hop == MAX_REDIRECTS:
                    raise _Refused(f"too many redirects (more than {MAX_REDIRECTS})")
                if target == current:
                    raise _Refused("redirect loop")
                current = target
                continue
            if status == 304:
                result.not_modified = True
                return
            if status in RETRY_CODES:
                raise _Retryable(
                    f"HTTP {status}",
                    retry_after=parse_retry_after(resp_headers.get("retry-after")),
                    status=status,
                )
            if status >= 400:
                raise _Refused(f"HTTP {status}")
            result.body = body
            return
        raise _Refused(f"too many redirects (more than {MAX_REDIRECTS})")  # pragma: no cover

    async def _request(
        self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None, pinned: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        limit = self.settings.max_bytes
        extensions: dict[str, Any] = {}
        if pinned is not None:
            parts = urlsplit(url)
            headers = {**headers, "Host": parts.netloc.rpartition("@")[2]}
            extensions["sni_hostname"] = parts.hostname
            url = _pinned_url(url, pinned)
        async with self.client.stream("GET", url, headers=headers, extensions=extensions) as response:
            resp_headers = {k.lower(): v for k, v in response.headers.items()}
            status = response.status_code
            if status in REDIRECT_CODES or status == 304 or status >= 400:
                return status, resp_headers, b""
            ctype = resp_headers.get("content-type", "").split(";")[0].strip().lower()
            if accept is not None and ctype and not any(ctype == a for a in accept):
                raise _Refused(f"skipped: content type {ctype} is not HTML", skipped=True)
            declared = resp_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit and "content-encoding" not in resp_headers:
                raise _Refused(f"response too large: Content-Length {declared} > max_bytes {limit}")
            decoder = _BoundedDecoder(resp_headers.get("content-encoding", ""))
            chunks: list[bytes] = []
            size = 0
            try:
                async for raw in response.aiter_raw():
                    for chunk in decoder.feed(raw):
                        size += len(chunk)
                        if size > limit:
                            raise _Refused(f"response too large: cut off after {limit} bytes (max_bytes)")
                        chunks.append(chunk)
            except zlib.error as exc:
                raise _Refused(f"undecodable response body: {exc}") from exc
            return status, resp_headers, b"".join(chunks)

    # --- robots.txt --------------------------------------------------------------------------

    async def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        task = self._robots.get(origin)
        if task is None:
            task = self._robots[origin] = asyncio.ensure_future(self._load_robots(origin))
        parser = await task
        if parser is None:
            return True
        return parser.can_fetch(self.settings.user_agent, url)

    async def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        res = await self.get(origin + "/robots.txt", accept=None, retries=0)
        if not res.ok or res.status != 200:
            return None  # no robots.txt, or unreachable: nothing forbids
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(res.body.decode("utf-8", "replace").splitlines())
        return parser


def now_utc() -> datetime:
    return datetime.now(UTC)
