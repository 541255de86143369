"""HTTP: the HTTP clients of a run, with the limits, retries and guards of SPEC 7.

Every request goes through `Fetcher.get` (or `Fetcher.post`, for webhooks), which never raises,
whatever the link or the response:
it returns a `FetchResult` whose `error` says what went wrong, so one bad link cannot stop a run.
Which addresses may be reached is decided when each connection is made (`flows.stages.net.netguard`).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import logging
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from protego import Protego

from flows.config import Settings
from flows.stages.net.netguard import (
    AddressPolicy,
    AddressRefused,
    Resolver,
    is_public_address,
    name_not_resolved,
    system_resolver,
)
from flows.stages.net.transport import (
    HIDDEN_LOCATION,
    BoundedDecoder,
    GuardedTransport,
    UnsupportedEncoding,
    environment_proxies,
    is_proxied,
    make_client,
    proxy_mounts,
    ssl_context,
)
from flows.stages.net.urls import BadLink, basic_credentials, host_of, request_url

__all__ = ["Fetcher", "FetchResult", "Resolver", "host_of", "is_public_address", "system_resolver"]

log = logging.getLogger(__name__)

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
    "application/feed+json",  # JSON Feed
    "application/json",
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


class Fetcher:
    """Shared limits and guards for every request of a run.

    Open it with `Fetcher.open(settings)`: it owns its HTTP clients (one direct, through the address
    guard, and one for the proxies the environment names), its TLS context and its address policy.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        policy: AddressPolicy,
        *,
        proxy_client: httpx.AsyncClient | None = None,
        proxies: dict[str, str] | None = None,
        precheck: bool = False,
        backoff_base: float = 0.5,
    ) -> None:
        self.client = client
        self.proxy_client = proxy_client
        self.proxies = proxies or {}
        self.settings = settings
        self.policy = policy
        # without our backend (an injected transport) the address is checked before the request
        self.precheck = precheck
        self.backoff_base = backoff_base
        self._global = asyncio.Semaphore(settings.max_concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, asyncio.Task[Protego | None]] = {}

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        trusted_hosts: Iterable[str] = (),
        resolver: Resolver | None = None,
        backoff_base: float = 0.5,
    ) -> AsyncIterator[Fetcher]:
        policy = AddressPolicy(
            allow_private=settings.allow_private_networks,
            trusted_hosts={host_of(f"http://{h}/") or h for h in trusted_hosts},
            resolver=resolver,
        )
        limits = httpx.Limits(
            max_connections=settings.max_concurrency,
            max_keepalive_connections=settings.max_concurrency,
        )
        context = ssl_context(settings)
        proxies = environment_proxies() if transport is None else {}
        mounts = proxy_mounts(proxies, context, limits)
        direct = transport or GuardedTransport(policy, context, limits)
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(make_client(settings, direct))
            proxy_client = None
            if mounts:
                proxy_client = await stack.enter_async_context(make_client(settings, None, mounts))
            yield cls(
                client,
                settings,
                policy,
                proxy_client=proxy_client,
                proxies=proxies,
                precheck=transport is not None,
                backoff_base=backoff_base,
            )

    def _host_semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._per_host.get(host)
        if sem is None:
            sem = self._per_host[host] = asyncio.Semaphore(self.settings.per_host_concurrency)
        return sem

    def _proxied(self, wire: str) -> bool:
        if self.proxy_client is None:
            return False
        parts = urlsplit(wire)
        return is_proxied(parts.scheme, parts.netloc, self.proxies)

    async def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        accept: tuple[str, ...] | None = HTML_TYPES,
        check_robots: bool = False,
        retries: int | None = None,
    ) -> FetchResult:
        """GET `url` with redirects, retries and every guard; never raises, whatever `url` holds."""
        result = FetchResult(url=url, final_url=url)
        attempt = functools.partial(self._attempt, headers=headers or {}, accept=accept, result=result)
        return await self._retried(result, attempt, retries, check_robots=check_robots)

    async def post(
        self, url: str, content: bytes, *, headers: dict[str, str] | None = None, retries: int | None = None
    ) -> FetchResult:
        """POST `content` to `url` (a webhook) with the address guard, proxies, limits and retries of
        `get`; never raises. A redirect is not followed: it is the answer (a 3xx fails), so the body
        never goes anywhere the URL did not name."""
        result = FetchResult(url=url, final_url=url)
        wire_url, credentials = basic_credentials(url)
        sent = {**({"Authorization": credentials} if credentials else {}), **(headers or {})}

        async def attempt(wire: str) -> None:
            async with self._global, self._host_semaphore(host_of(wire)):
                with _network_errors(self.settings):
                    async with asyncio.timeout(self.settings.timeout_seconds):
                        status, resp_headers, body = await self._request(wire, sent, None, "POST", content)
            result.status, result.headers = status, resp_headers
            if status in RETRY_CODES:
                retry_after = parse_retry_after(resp_headers.get("retry-after"))
                raise _Retryable(f"HTTP {status}", retry_after=retry_after, status=status)
            if status >= 300:
                raise _Refused(f"HTTP {status}")
            result.body = body

        return await self._retried(result, attempt, retries, url=wire_url)

    async def _retried(
        self,
        result: FetchResult,
        attempt: Callable[[str], Awaitable[None]],
        retries: int | None,
        *,
        url: str | None = None,
        check_robots: bool = False,
    ) -> FetchResult:
        """Run `attempt` on the wire form of `url` (default: result.url) until it succeeds, is
        refused, or has been tried 1 + `retries` times (default: max_retries), waiting the
        server's Retry-After or a doubling back-off in between. Fills `result`; never raises."""
        started = time.monotonic()
        max_attempts = 1 + (self.settings.max_retries if retries is None else retries)
        try:
            wire = _wire(result.url if url is None else url)
            result.final_url = wire
            if check_robots and self.settings.respect_robots_txt and not await self.allowed_by_robots(wire):
                raise _Refused("disallowed by robots.txt", skipped=True)
            while True:
                result.attempts += 1
                try:
                    await attempt(wire)
                    break
                except _Retryable as exc:
                    if result.attempts >= max_attempts:
                        raise _Refused(str(exc)) from exc
                    if exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER:
                        raise _Refused(f"{exc} (Retry-After {exc.retry_after:.0f} s is too long)") from exc
                    backoff = self.backoff_base * 2 ** (result.attempts - 1)
                    await asyncio.sleep(
                        min(backoff if exc.retry_after is None else exc.retry_after, MAX_RETRY_AFTER)
                    )
        except _Refused as exc:
            result.error, result.skipped, result.body = str(exc), exc.skipped, b""
        except Exception as exc:  # noqa: BLE001 - the promise: one URL never takes a run down
            shown = result.url[:300] if url is None else host_of(result.url)  # a webhook's path: its token
            log.warning("unexpected error on %r: %r", shown, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            result.error = f"unexpected error: {type(exc).__name__}: {exc}"[:2000]
            result.skipped, result.body = False, b""
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
            host = host_of(current)
            async with self._global, self._host_semaphore(host):
                hop_started = time.monotonic()
                with _network_errors(self.settings):
                    async with asyncio.timeout(max(budget, 0.001)):
                        status, resp_headers, body = await self._request(current, headers, accept)
            budget -= time.monotonic() - hop_started
            result.status = status
            result.headers = resp_headers
            result.final_url = current
            if status in REDIRECT_CODES:
                location = resp_headers.get("location")
                if not location:
                    raise _Refused(f"HTTP {status} without a Location header")
                try:
                    given = urljoin(current, location.strip())
                    target = _wire(given)
                except (ValueError, _Refused) as exc:
                    # the same every time: skipped like the link itself would be, so the feed's
                    # validators are still saved and the entry is not tried again each poll
                    raise _Refused(f"HTTP {status} redirect to a bad link: {exc}", skipped=True) from exc
                if hop == 0 and status in (301, 308):
                    result.moved_to = given
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
        self,
        url: str,
        headers: dict[str, str],
        accept: tuple[str, ...] | None,
        method: str = "GET",
        content: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        limit = self.settings.max_bytes
        client = self.client
        if self._proxied(url):
            client = self.proxy_client or client
        if client is not self.client or self.precheck:
            # the connection is not ours to check (a proxy's, an injected transport's): check the name
            parts = urlsplit(url)
            await self.policy.addresses(
                parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
            )
        async with client.stream(method, url, headers=headers, content=content) as response:
            resp_headers = {k.lower(): v for k, v in response.headers.items()}
            if HIDDEN_LOCATION in resp_headers:
                resp_headers["location"] = resp_headers.pop(HIDDEN_LOCATION)
            status = response.status_code
            if status in REDIRECT_CODES or status == 304 or status >= 400:
                return status, resp_headers, b""
            ctype = resp_headers.get("content-type", "").split(";")[0].strip().lower()
            if accept is not None and ctype and not any(ctype == a for a in accept):
                raise _Refused(f"skipped: content type {ctype} is not HTML", skipped=True)
            declared = resp_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit and "content-encoding" not in resp_headers:
                raise _Refused(f"response too large: Content-Length {declared} > max_bytes {limit}")
            try:
                decoder = BoundedDecoder(resp_headers.get("content-encoding", ""))
            except UnsupportedEncoding as exc:
                raise _Refused(str(exc)) from exc
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
        return bool(parser.can_fetch(url, self.settings.user_agent))

    async def _load_robots(self, origin: str) -> Protego | None:
        res = await self.get(origin + "/robots.txt", accept=None, retries=0)
        if not res.ok or res.status != 200:
            return None  # no robots.txt, or unreachable: nothing forbids
        try:
            return Protego.parse(res.body.decode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - an unreadable robots.txt forbids nothing
            log.warning("unreadable robots.txt at %s", origin, exc_info=True)
            return None


def _wire(url: str) -> str:
    """`url` as requested, or _Refused with the reason (a bad link is the entry's fault, not the run's)."""
    try:
        return request_url(url)
    except BadLink as exc:
        raise _Refused(str(exc), skipped=exc.unsupported) from exc


@contextlib.contextmanager
def _network_errors(settings: Settings) -> Iterator[None]:
    """What went wrong on the network, as _Refused (not worth retrying) or _Retryable."""
    try:
        yield
    except AddressRefused as exc:
        raise _Refused(str(exc), skipped=True) from exc
    except TimeoutError as exc:
        raise _Retryable(f"timed out: no complete response within {settings.timeout_seconds:g} s") from exc
    except httpx.TimeoutException as exc:
        raise _Retryable(f"timed out ({type(exc).__name__})") from exc
    except (httpx.TransportError, httpcore.ConnectError, OSError) as exc:  # OSError: a proxied name
        if (unresolved := name_not_resolved(exc)) is not None:
            # permanent for this run: retrying with back-off only waits (no network)
            raise _Refused(f"name resolution failed: {unresolved}") from exc
        raise _Retryable(f"connection failed: {exc or type(exc).__name__}") from exc


def now_utc() -> datetime:
    return datetime.now(UTC)
