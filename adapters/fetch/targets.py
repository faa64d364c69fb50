"""Turn a URL someone typed into one canonical target, or refuse it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv6Address
from urllib.parse import unquote, urlsplit

import idna
from yarl import URL

from adapters.fetch.addresses import (
    IPAddress,
    ends_in_number,
    is_loopback,
    parse_address,
    parse_loose_ipv4,
)
from core import messages
from core.errors import BadInput

WEB_PORTS = frozenset({80, 443})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


@dataclass(frozen=True, slots=True)
class Target:
    """A URL reduced to what the guard decides on: scheme, canonical host and port.

    ``host`` is an ASCII hostname without a trailing dot, or an IP address in standard
    notation; ``ip`` is set for the latter. ``url`` is the URL to request, rebuilt on the
    canonical host, without user info or fragment.
    """

    url: URL
    scheme: str
    host: str
    port: int
    ip: IPAddress | None


def parse_target(text: str) -> Target:
    """Parse and canonicalise ``text``; raises ``BadInput`` for anything but a plain web URL."""
    try:
        url = URL(text.strip())
    except (ValueError, TypeError):
        raise BadInput(messages.FETCH_BAD_URL) from None
    scheme = url.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not url.raw_host:
        raise BadInput(messages.FETCH_BAD_URL)
    if url.raw_user is not None or url.raw_password is not None or "@" in _authority(text):
        raise BadInput(messages.FETCH_CREDENTIALS_IN_URL)
    host, ip = canonical_host(url.raw_host)
    port = url.explicit_port if url.explicit_port is not None else _DEFAULT_PORTS[scheme]
    try:
        rebuilt = URL.build(
            scheme=scheme,
            host=f"[{host}]" if isinstance(ip, IPv6Address) else host,
            port=None if port == _DEFAULT_PORTS[scheme] else port,
            path=url.raw_path or "/",
            query_string=url.raw_query_string,
            encoded=True,
        )
    except ValueError:
        raise BadInput(messages.FETCH_BAD_URL) from None
    return Target(url=rebuilt, scheme=scheme, host=host, port=port, ip=ip)


def _authority(text: str) -> str:
    try:
        return urlsplit(text.strip()).netloc
    except ValueError:
        return ""


def canonical_host(raw: str) -> tuple[str, IPAddress | None]:
    """The canonical form of a URL host: percent-decoded, IDNA-encoded, lower case, no
    trailing dot; numeric IPv4 forms (``2130706433``, ``0x7f.1``) become dotted quads."""
    try:
        host = unquote(raw, errors="strict").strip()
    except UnicodeDecodeError:
        raise BadInput(messages.FETCH_BAD_URL) from None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        if "%" in host:  # a zone id only ever names a local interface
            raise BadInput(messages.FETCH_NOT_PUBLIC)
        address = parse_address(host)
        if not isinstance(address, IPv6Address):
            raise BadInput(messages.FETCH_BAD_URL)
        return str(address), address
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise BadInput(messages.FETCH_BAD_URL) from None
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    if ends_in_number(host):
        try:
            address = parse_loose_ipv4(host)
        except ValueError:
            raise BadInput(messages.FETCH_BAD_URL) from None
        return str(address), address
    if len(host) > 253 or not all(_LABEL.match(label) for label in host.split(".")):
        raise BadInput(messages.FETCH_BAD_URL)
    return host, None


def is_local_name(host: str) -> bool:
    """``localhost`` and its subdomains always mean this machine (RFC 6761)."""
    return host == "localhost" or host.endswith(".localhost")


def parse_allow(value: str) -> frozenset[tuple[str, int]]:
    """Parse ``AIOE_FETCH_ALLOW`` ("127.0.0.1:8123,localhost:9000,[::1]:9000") into the
    loopback host and port pairs the fetcher may reach; anything else is a ``ValueError``."""
    pairs: set[tuple[str, int]] = set()
    for item in value.split(","):
        entry = item.strip()
        if not entry:
            continue
        host_text, sep, port_text = entry.rpartition(":")
        if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{entry!r} is not host:port")
        try:
            host, ip = canonical_host(host_text)
        except BadInput:
            raise ValueError(f"{entry!r} does not name a valid host") from None
        loopback = is_loopback(ip) if ip is not None else host == "localhost"
        if not loopback:
            raise ValueError(f"{entry!r} is not a loopback address; only those may be allowed")
        pairs.add((host, int(port_text)))
    return frozenset(pairs)
