"""The address guard at connect time, TLS per host name, proxies and CAs from the environment.

Every name here resolves to a loopback address through a resolver the test controls.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable

import pytest

from flows.config import Settings
from flows.stages.net.fetch import Fetcher, FetchResult
from flows.stages.net.netguard import hosts_resolver, is_public_address
from tests.support.servers import NewsServer

LOOPBACK = ipaddress.IPv4Address("127.0.0.1")


def _wrapped(kind: str, v4: ipaddress.IPv4Address) -> str:
    """An IPv6 address that carries `v4` (built from it, so no address off this machine is named)."""
    if kind == "6to4":
        return str(ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80)))
    if kind == "teredo":  # 2001:0::/32, server, flags, port, client address inverted
        return str(ipaddress.IPv6Address((0x20010000 << 96) | (int(v4) << 64) | (0xFFFFFFFF ^ int(v4))))
    if kind == "nat64":
        return str(ipaddress.IPv6Address((0x64FF9B << 96) | int(v4)))
    return f"::ffff:{v4}"


@pytest.mark.parametrize("kind", ["6to4", "teredo", "nat64", "mapped"])
def test_ipv6_wrappers_of_loopback_are_not_public(kind: str) -> None:
    address = _wrapped(kind, LOOPBACK)
    assert ipaddress.ip_address(address).version == 6
    assert is_public_address(address) is False


def get_all(
    urls: list[str], settings: Settings, mapping: dict[str, str], trusted: set[str] | None = None
) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher.open(
            settings, trusted_hosts=trusted or set(), resolver=hosts_resolver(mapping), backoff_base=0.01
        ) as fetcher:
            return [await fetcher.get(u) for u in urls]

    return asyncio.run(go())


def test_rebinding_to_a_private_address_is_refused_at_connect_time(
    http_server: Callable[..., NewsServer],
) -> None:
    internal = http_server("127.0.0.2")
    internal.add("/secret", "<html>secret</html>")
    answers = iter([["127.0.0.2"]])

    async def resolver(host: str, port: int) -> list[str]:
        return next(answers)

    async def go() -> FetchResult:
        settings = Settings(timeout_seconds=2, max_retries=0)
        async with Fetcher.open(settings, resolver=resolver) as fetcher:
            return await fetcher.get(f"http://news.test:{internal.port}/secret")

    res = asyncio.run(go())
    assert res.skipped and "private" in (res.error or "")
    assert internal.requests == []


def test_a_name_the_system_cannot_resolve_is_recognised_behind_the_wrappers() -> None:
    """A trusted feed's host is resolved by the operating system inside the connection: its
    gaierror arrives wrapped by httpcore and httpx, and is still no-retry."""
    import socket

    import httpcore
    import httpx

    from flows.stages.net.netguard import NameNotResolved, name_not_resolved

    def wrapped() -> httpx.ConnectError:
        try:
            try:
                raise socket.gaierror(-3, "Temporary failure in name resolution")
            except socket.gaierror as exc:
                raise httpcore.ConnectError(str(exc)) from exc
        except httpcore.ConnectError as exc:
            try:
                raise httpx.ConnectError(str(exc)) from exc
            except httpx.ConnectError as outer:
                return outer

    found = name_not_resolved(wrapped())
    assert isinstance(found, NameNotResolved) and "Temporary failure" in str(found)
    assert name_not_resolved(httpx.ConnectError("[Errno 111] Connection refused")) is None
