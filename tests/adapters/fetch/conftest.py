"""Fixtures for the fetch tests: a table resolver and a connector that only reaches loopback."""

from __future__ import annotations

import errno
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from ipaddress import ip_address
from typing import Any

import pytest
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult

from adapters.fetch.guard import GuardedFetcher

PUBLIC = "93.184.215.14"

NAMES: dict[str, list[str]] = {
    "shop.example": [PUBLIC],
    "metadata.example": ["169.254.169.254"],
    "alibaba-metadata.example": ["100.100.100.200"],
    "private.example": ["192.168.1.10"],
    "mapped.example": ["::ffff:10.0.0.1"],
    "mixed.example": [PUBLIC, "10.0.0.5"],
    "mixed6.example": ["2606:4700::6810:84e5", "fd00:ec2::254"],
    "linklocal6.example": ["fe80::1%eth0"],
    "sixtofour.example": ["2002:a00:1::1"],
    "nat64.example": ["64:ff9b::a9fe:a9fe"],
    "xn--mnchen-3ya.example": ["10.0.0.9"],
    "127.0.0.1.nip.example": ["127.0.0.1"],
    "garbage.example": ["not-an-address"],
    "localhost": ["127.0.0.1", "::1"],
}


class StubResolver(AbstractResolver):
    """Answers lookups from a table, like a DNS server we control; records each lookup.

    A name may map to several answers in turn (the last one repeats), as a rebinding
    DNS server would give."""

    def __init__(self, table: dict[str, list[str]], *later: dict[str, list[str]]) -> None:
        self.answers = [table, *later]
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        table = self.answers[min(len(self.lookups), len(self.answers) - 1)]
        self.lookups.append(host)
        if host not in table:
            raise OSError(errno.ENOENT, f"{host} does not exist")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for address in table[host]
        ]

    async def close(self) -> None:
        return None


class LoopbackOnly:
    """A socket factory for the connector: records every connection attempt, and any that
    is not to loopback is refused before a socket exists and reported as a violation."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []
        self.violations: list[tuple[str, int]] = []

    def __call__(self, addr_info: AddrInfoType) -> socket.socket:
        family, kind, proto, _, address = addr_info
        target = (str(address[0]), int(address[1]))
        self.attempts.append(target)
        if not ip_address(target[0]).is_loopback:
            self.violations.append(target)
            raise OSError(errno.EACCES, f"tests may not connect to {target}")
        return socket.socket(family, kind, proto)


@pytest.fixture
def sockets() -> Iterator[LoopbackOnly]:
    guard = LoopbackOnly()
    yield guard
    assert guard.violations == [], "a connection to a non-loopback address was attempted"


@pytest.fixture
def resolver() -> StubResolver:
    return StubResolver(NAMES)


MakeFetcher = Callable[..., GuardedFetcher]


@pytest.fixture
async def make_fetcher(resolver: StubResolver, sockets: LoopbackOnly) -> AsyncIterator[MakeFetcher]:
    """Build guarded fetchers that resolve from the table and only ever reach loopback."""
    made: list[GuardedFetcher] = []

    def make(**options: Any) -> GuardedFetcher:
        options.setdefault("resolver", resolver)
        options.setdefault("socket_factory", sockets)
        fetcher = GuardedFetcher(**options)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        await fetcher.aclose()
