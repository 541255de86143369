"""How connections are made: through the address guard, with the run's TLS trust and proxies.

The guard sits in an httpcore network backend: the name is resolved, every address is checked
(`flows.stages.net.netguard`), and the socket is opened to a checked address, so a second DNS answer
(rebinding) cannot send it elsewhere. The URL keeps its host name, so connections are pooled per
name and TLS is verified (and SNI sent) for the name asked for, never for another name that shares
the address. Proxies and CAs come from the environment, as httpx users expect. A body's
Content-Encoding is undone a step at a time (`BoundedDecoder`), so no size check comes too late.
"""

from __future__ import annotations

import os
import ssl
import typing
import urllib.request
import zlib
from collections.abc import Iterator

import httpcore
import httpx
import truststore

from flows.config import Settings
from flows.stages.net.netguard import AddressPolicy, name_not_resolved


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """Certificates as httpx users expect: SSL_CERT_FILE / SSL_CERT_DIR, else certifi or the system store."""
    if settings.trust_store == "system" and not (
        os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR")
    ):
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return httpx.create_ssl_context(trust_env=True)


def environment_proxies() -> dict[str, str]:
    """HTTP_PROXY / HTTPS_PROXY / ALL_PROXY (either case), as curl and httpx read them."""
    return {
        k: v
        for k, v in urllib.request.getproxies_environment().items()
        if k in ("http", "https", "all", "no")
    }


def make_client(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None,
    mounts: dict[str, httpx.AsyncBaseTransport | None] | None = None,
) -> httpx.AsyncClient:
    """A client with the run's headers and timeouts that follows no redirect (the Fetcher does)."""
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(settings.timeout_seconds, connect=min(10.0, settings.timeout_seconds)),
        follow_redirects=False,
        transport=transport,
        mounts=mounts,
        trust_env=False,
        event_hooks={"response": [_hide_location]},
    )


def proxy_mounts(
    proxies: dict[str, str], context: ssl.SSLContext, limits: httpx.Limits
) -> dict[str, httpx.AsyncBaseTransport | None]:
    """One proxy transport a scheme the environment names a proxy for."""
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for scheme in ("http", "https"):
        if proxy := proxies.get(scheme) or proxies.get("all"):
            mounts[f"{scheme}://"] = httpx.AsyncHTTPTransport(
                proxy=proxy, verify=context, limits=limits, trust_env=False
            )
    return mounts


def is_proxied(scheme: str, netloc: str, proxies: dict[str, str]) -> bool:
    """Whether a request to `netloc` goes through the environment's proxy (NO_PROXY honoured)."""
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass_environment(netloc, proxies)  # type: ignore[attr-defined]


HIDDEN_LOCATION = "x-newswatch-location"


async def _hide_location(response: httpx.Response) -> None:
    """httpx parses a redirect's Location even when it does not follow it, and a bad one raises
    (an IDNA error, an invalid port) where the response is lost; the Fetcher reads it instead."""
    if "location" in response.headers:
        response.headers[HIDDEN_LOCATION] = response.headers["location"]
        del response.headers["location"]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for address in await self.policy.addresses(host, port):
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                if address == host and (unresolved := name_not_resolved(exc)) is not None:
                    # a trusted feed's host, resolved by the operating system: no address for this run
                    raise self.policy.note_unresolved(host, f"cannot resolve {host}: {exc}") from unresolved
                last = exc
            except (OSError, OverflowError, BaseExceptionGroup) as exc:  # anyio's happy eyeballs
                last = httpcore.ConnectError(f"{type(exc).__name__}: {exc}")
        raise last or httpcore.ConnectError(f"cannot connect to {host}:{port}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a pool whose connections go through `GuardedBackend`."""

    def __init__(self, policy: AddressPolicy, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx takes no network backend; the pool it built is replaced by the same pool with ours
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


class UnsupportedEncoding(ValueError):
    """A Content-Encoding that is not gzip, deflate or identity."""


class BoundedDecoder:
    """Undo Content-Encoding layers chunk by chunk, never making more than a step of output at once.

    httpx decodes a whole network chunk in one call, so gzip inside gzip turns kilobytes into
    gigabytes before any size check can run; here every layer is inflated a megabyte at a time.
    """

    STEP = 1 << 20

    def __init__(self, header: str) -> None:
        names = [n.strip().lower() for n in header.split(",") if n.strip()]
        self.layers: list[typing.Any] = []
        for name in reversed(names):  # the last encoding listed was applied last
            if name in ("gzip", "x-gzip"):
                self.layers.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif name == "deflate":
                self.layers.append(None)  # zlib-wrapped or raw: decided by the first bytes
            elif name != "identity":
                raise UnsupportedEncoding(f"unsupported Content-Encoding {name!r}")

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
