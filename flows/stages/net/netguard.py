"""Which addresses a request may reach (SPEC 7, Safety): the policy, and the resolvers it asks.

`flows.stages.net.transport` applies it when each connection is made.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping

import httpcore

from flows.stages.net.urls import ascii_host

Resolver = Callable[[str, int], Awaitable[list[str]]]

_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, not marked private by ipaddress
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known NAT64 prefix: the last 32 bits are IPv4


class AddressRefused(Exception):
    """The host resolves to an address newswatch must not reach; not retried, not a failure."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries: mapped, 6to4, Teredo (server and client), NAT64."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED)
    )


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local and the like, also when wrapped in an IPv6 address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded:  # the IPv4 inside decides where the packets end up
            return all(_public(v4) for v4 in embedded)
    return _public(ip)


def _unmapped(address: str) -> str:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%")[0]))
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def hosts_resolver(mapping: Mapping[str, str], fallback: Resolver = system_resolver) -> Resolver:
    """Names looked up in `mapping` (host, either spelling -> address) before DNS, like /etc/hosts."""
    table = {ascii_host(k): v for k, v in mapping.items()}

    async def resolve(host: str, port: int) -> list[str]:
        if host.lower() in table:
            return [table[host.lower()]]
        return await fallback(host, port)

    return resolve


class NameNotResolved(httpcore.ConnectError):
    """A host name with no address: permanent for this run (the same answer would come back),
    so it is not retried and the name is not asked again (with no network, 44 feeds would each ask again)."""


def name_not_resolved(exc: BaseException) -> NameNotResolved | None:
    """The NameNotResolved behind `exc` (httpx and httpcore wrap it), or a gaierror made one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NameNotResolved):
            return current
        if isinstance(current, socket.gaierror):
            return NameNotResolved(f"cannot resolve: {current}")
        current = current.__cause__ or current.__context__
    return None


class AddressPolicy:
    """Resolves a host and says which of its addresses may be reached.

    `trusted_hosts` (the configured feeds' hosts) and `allow_private` lift the check, not the
    resolver: an injected resolver (a test's, an embedder's hosts map) is followed for every name.
    """

    def __init__(
        self, *, allow_private: bool, trusted_hosts: Iterable[str] = (), resolver: Resolver | None = None
    ) -> None:
        self.allow_private = allow_private
        self.trusted_hosts = {h.lower() for h in trusted_hosts}
        self.resolver = resolver or system_resolver
        self.custom_dns = resolver is not None
        self.unresolved: dict[str, str] = {}  # host -> why it did not resolve, for the rest of the run

    def note_unresolved(self, host: str, reason: str) -> NameNotResolved:
        """Remember that `host` has no address for this run; the error to raise."""
        self.unresolved.setdefault(host.strip("[]").lower(), reason)
        return NameNotResolved(reason)

    def exempt(self, host: str) -> bool:
        return self.allow_private or host.lower() in self.trusted_hosts

    async def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses to connect to (IPv4 first); AddressRefused or ConnectError if none."""
        host = host.strip("[]").lower()
        if host in self.unresolved:
            raise NameNotResolved(self.unresolved[host])
        exempt = self.exempt(host)
        literal = _literal(host)
        if literal is not None:
            found = [literal]
        elif exempt and not self.custom_dns:
            return [host]  # nothing to check: the operating system resolves and connects
        else:
            try:
                found = await self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise self.note_unresolved(host, f"cannot resolve {host}: {exc}") from exc
            if not found:
                raise self.note_unresolved(host, f"cannot resolve {host}: no address")
        if not exempt:
            bad = [a for a in found if not is_public_address(a)]
            if bad:
                raise AddressRefused(
                    f"refused: {host} resolves to a private, loopback or link-local address"
                    f" ({', '.join(bad)}); set allow_private_networks: true to allow"
                )
        plain = list(dict.fromkeys(_unmapped(a) for a in found))
        return sorted(plain, key=lambda a: ":" in a)
