"""A resolver for aiohttp's connector that only hands out addresses already checked."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from ipaddress import IPv6Address

from aiohttp.abc import AbstractResolver, ResolveResult

from adapters.fetch.addresses import IPAddress

_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV


class PinnedResolver(AbstractResolver):
    """Answers a connector's lookups from pins set by the guard, never from DNS.

    The guard resolves a name once, checks every address, and pins the result for the
    duration of its request; the connection then goes to those addresses, so a DNS
    answer that changes between the check and the connection ("rebinding") has no
    effect. A lookup with no pin fails.
    """

    def __init__(self) -> None:
        self._pins: dict[tuple[str, int], list[tuple[IPAddress, ...]]] = {}

    @contextmanager
    def pinned(self, host: str, port: int, addresses: tuple[IPAddress, ...]) -> Iterator[None]:
        """Let ``host:port`` resolve to ``addresses`` inside the ``with`` block."""
        key = (host, port)
        entry = tuple(addresses)
        self._pins.setdefault(key, []).append(entry)
        try:
            yield
        finally:
            entries = self._pins[key]
            entries.remove(entry)
            if not entries:
                del self._pins[key]

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        key = (host.rstrip(".").lower(), port)
        seen: set[IPAddress] = set()
        results: list[ResolveResult] = []
        for entry in self._pins.get(key, ()):
            for address in entry:
                address_family = (
                    socket.AF_INET6 if isinstance(address, IPv6Address) else socket.AF_INET
                )
                if address in seen or family not in (socket.AF_UNSPEC, address_family):
                    continue
                seen.add(address)
                results.append(
                    ResolveResult(
                        hostname=host,
                        host=str(address),
                        port=port,
                        family=address_family,
                        proto=0,
                        flags=_NUMERIC,
                    )
                )
        if not results:
            raise OSError(f"no checked address for {host}:{port}")
        return results

    async def close(self) -> None:
        self._pins.clear()
