"""The guarded fetcher: public http(s) pages and images only, within size and time limits."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import aiohttp
from aiohappyeyeballs import SocketFactoryType
from aiohttp.abc import AbstractResolver
from yarl import URL

from adapters.fetch.addresses import IPAddress, is_loopback, is_public, parse_address
from adapters.fetch.pinning import PinnedResolver
from adapters.fetch.targets import WEB_PORTS, Target, is_local_name, parse_target
from core import messages
from core.errors import BadInput
from core.ports import Fetched

log = logging.getLogger(__name__)

USER_AGENT = "AIOE/0.1 (+https://github.com/aioe-bot/aioe; product image fetcher)"
MB = 1024 * 1024
PAGE_LIMIT = 2 * MB
IMAGE_LIMIT = 20 * MB
TOTAL_TIMEOUT = 15.0
MAX_REDIRECTS = 5

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class _Kind:
    accept: str
    types: frozenset[str]
    limit: int
    too_large: str
    wrong_type: str


class GuardedFetcher:
    """Fetches public web pages and images, refusing anything that could reach inside.

    Every URL, including each redirect, must be http(s) on port 80 or 443, carry no
    credentials, and name a host whose every address is globally routable; the
    connection then goes to exactly the addresses that were checked. Bodies are capped
    in size, each fetch in time, and no cookies are kept. ``allow`` lists loopback
    ``(host, port)`` pairs that may be reached anyway (see ``parse_allow``), for tests
    and local development: directly, or by a redirect from another allowed pair, never
    from a public page. Refusals raise ``BadInput``.
    """

    def __init__(
        self,
        *,
        resolver: AbstractResolver | None = None,
        allow: frozenset[tuple[str, int]] = frozenset(),
        timeout: float = TOTAL_TIMEOUT,
        page_limit: int = PAGE_LIMIT,
        image_limit: int = IMAGE_LIMIT,
        max_redirects: int = MAX_REDIRECTS,
        ssl_context: ssl.SSLContext | None = None,
        socket_factory: SocketFactoryType | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._resolver = resolver
        self._owns_resolver = resolver is None
        self._allow = allow
        if allow:
            log.warning(
                "AIOE_FETCH_ALLOW is set: the URL guard lets these loopback addresses "
                "through (%s); use it only in tests",
                ", ".join(f"{host}:{port}" for host, port in sorted(allow)),
            )
        self._timeout = timeout
        self._max_redirects = max_redirects
        self._ssl_context = ssl_context
        self._socket_factory = socket_factory
        self._user_agent = user_agent
        self._pins = PinnedResolver()
        self._session: aiohttp.ClientSession | None = None
        self._page = _Kind(
            accept="text/html,application/xhtml+xml;q=0.9",
            types=frozenset({"text/html", "application/xhtml+xml"}),
            limit=page_limit,
            too_large=messages.FETCH_PAGE_TOO_LARGE.format(limit_mb=_megabytes(page_limit)),
            wrong_type=messages.FETCH_NOT_HTML,
        )
        self._image = _Kind(
            accept="image/png,image/jpeg,image/webp",
            types=frozenset({"image/png", "image/jpeg", "image/jpg", "image/webp"}),
            limit=image_limit,
            too_large=messages.FETCH_IMAGE_TOO_LARGE.format(limit_mb=_megabytes(image_limit)),
            wrong_type=messages.FETCH_NOT_IMAGE,
        )
        self._data = _Kind(
            accept="application/json,text/javascript;q=0.9",
            types=frozenset(
                {
                    "application/json",
                    "text/javascript",
                    "application/javascript",
                    "application/x-javascript",
                }
            ),
            limit=page_limit,
            too_large=self._page.too_large,
            wrong_type=messages.FETCH_NOT_DATA,
        )

    async def __aenter__(self) -> Self:
        self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session and, if this fetcher made it, the resolver."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._owns_resolver and self._resolver is not None:
            await self._resolver.close()
            self._resolver = None

    async def fetch_page(self, url: str) -> Fetched:
        """An HTML page; ``content_type`` keeps the charset when the server names one."""
        return await self._fetch(url, self._page)

    async def fetch_image(self, url: str) -> Fetched:
        """A PNG, JPEG or WebP image (by its declared content type)."""
        return await self._fetch(url, self._image)

    async def fetch_json(self, url: str) -> Fetched:
        """A JSON document (also served as JavaScript), such as a shop's product data."""
        return await self._fetch(url, self._data)

    # --- one fetch ------------------------------------------------------------
    async def _fetch(self, url: str, kind: _Kind) -> Fetched:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._follow(url, kind)
        except TimeoutError:
            raise BadInput(messages.FETCH_TIMED_OUT) from None

    async def _follow(self, url: str, kind: _Kind) -> Fetched:
        session = self._open()
        current = url
        may_allow = True  # an allowed pair is reached directly or from another one
        for hop in range(self._max_redirects + 1):
            target, addresses, may_allow = await self._check(current, may_allow)
            headers = {"Accept": kind.accept}
            try:
                with self._pins.pinned(target.host, target.port, addresses):
                    async with session.get(
                        target.url, headers=headers, allow_redirects=False
                    ) as response:
                        if response.status in _REDIRECTS:
                            if hop == self._max_redirects:
                                raise BadInput(messages.FETCH_TOO_MANY_REDIRECTS)
                            current = _next_location(target, response)
                            continue
                        return await _read(target, response, kind)
            except TimeoutError:
                raise
            except (aiohttp.ClientError, OSError):
                raise BadInput(messages.FETCH_UNREACHABLE) from None
        raise BadInput(messages.FETCH_TOO_MANY_REDIRECTS)

    # --- the checks -----------------------------------------------------------
    async def _check(self, url: str, may_allow: bool) -> tuple[Target, tuple[IPAddress, ...], bool]:
        """The target, its checked addresses, and whether it was let through as allowed."""
        target = parse_target(url)
        allowed = may_allow and (target.host, target.port) in self._allow
        if target.ip is not None:
            self._require_public((target.ip,), allowed)
        elif is_local_name(target.host) and not allowed:
            raise BadInput(messages.FETCH_NOT_PUBLIC)
        if target.port not in WEB_PORTS and not allowed:
            raise BadInput(messages.FETCH_NON_WEB_PORT)
        if target.ip is not None:
            return target, (target.ip,), allowed
        addresses = await self._lookup(target.host, target.port)
        self._require_public(addresses, allowed)
        return target, addresses, allowed

    async def _lookup(self, host: str, port: int) -> tuple[IPAddress, ...]:
        if self._resolver is None:
            self._resolver = aiohttp.DefaultResolver()
        try:
            results = await self._resolver.resolve(host, port, family=socket.AF_UNSPEC)
        except (OSError, aiohttp.ClientError):
            raise BadInput(messages.FETCH_UNREACHABLE) from None
        if not results:
            raise BadInput(messages.FETCH_UNREACHABLE)
        addresses: list[IPAddress] = []
        for result in results:
            address = parse_address(result["host"])
            if address is None:
                raise BadInput(messages.FETCH_NOT_PUBLIC)
            addresses.append(address)
        return tuple(dict.fromkeys(addresses))

    @staticmethod
    def _require_public(addresses: tuple[IPAddress, ...], allowed: bool) -> None:
        for address in addresses:
            if not (is_public(address) or (allowed and is_loopback(address))):
                raise BadInput(messages.FETCH_NOT_PUBLIC)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=self._pins,
                use_dns_cache=False,
                force_close=True,
                ssl=self._ssl_context if self._ssl_context is not None else True,
                socket_factory=self._socket_factory,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self._user_agent},
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                trust_env=False,
            )
        return self._session


def _next_location(target: Target, response: aiohttp.ClientResponse) -> str:
    location = response.headers.get(aiohttp.hdrs.LOCATION, "").strip()
    if not location:
        raise BadInput(messages.FETCH_UNREACHABLE)
    try:
        return str(target.url.join(URL(location)))
    except (ValueError, TypeError):
        raise BadInput(messages.FETCH_BAD_URL) from None


async def _read(target: Target, response: aiohttp.ClientResponse, kind: _Kind) -> Fetched:
    if not 200 <= response.status < 300:
        raise BadInput(messages.FETCH_HTTP_ERROR.format(status=response.status))
    media_type = response.content_type.lower()
    if media_type not in kind.types:
        raise BadInput(kind.wrong_type)
    length = response.content_length
    if length is not None and length > kind.limit:
        raise BadInput(kind.too_large)
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > kind.limit:
            raise BadInput(kind.too_large)
    charset = response.charset
    content_type = f"{media_type}; charset={charset.lower()}" if charset else media_type
    return Fetched(url=str(target.url), content_type=content_type, body=bytes(body))


def _megabytes(limit: int) -> str:
    return f"{round(limit / MB, 1):g}"
