"""Which IP addresses are public, and how loosely typed IPv4 hosts really parse."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

IPAddress = IPv4Address | IPv6Address

_V4_FORBIDDEN = tuple(
    IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", includes the unspecified address
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes the limited broadcast address
    )
)

_V6_FORBIDDEN = tuple(
    IPv6Network(net)
    for net in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible form
        "::ffff:0:0:0/96",  # IPv4-translated
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, includes Teredo 2001::/32
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local
        "ff00::/8",  # multicast
    )
)

_NAT64 = IPv6Network("64:ff9b::/96")
_TEREDO = IPv6Network("2001::/32")


def is_public(address: IPAddress) -> bool:
    """True when ``address`` is globally routable, including any IPv4 address it embeds."""
    if isinstance(address, IPv4Address):
        if any(address in net for net in _V4_FORBIDDEN):
            return False
    else:
        if address.scope_id:
            return False
        mapped = address.ipv4_mapped
        if mapped is not None:
            return is_public(mapped)
        if address in _NAT64:  # a translator's prefix: the IPv4 address is the destination
            return is_public(IPv4Address(int(address) & 0xFFFFFFFF))
        if any(address in net for net in _V6_FORBIDDEN):
            return False
        if address.is_site_local or not all(is_public(v4) for v4 in embedded_ipv4(address)):
            return False
    flagged = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not flagged


def is_loopback(address: IPAddress) -> bool:
    """True for 127.0.0.0/8 and ::1, also when written as an IPv4-mapped IPv6 address."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def embedded_ipv4(address: IPv6Address) -> tuple[IPv4Address, ...]:
    """The IPv4 addresses a 6to4 or Teredo IPv6 address carries, if any."""
    found: list[IPv4Address] = []
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address in _TEREDO and address.teredo is not None:
        found.extend(address.teredo)
    return tuple(found)


def parse_address(text: str) -> IPAddress | None:
    """An IP address written in standard notation, or ``None``; zone ids are kept."""
    try:
        return ip_address(text)
    except ValueError:
        return None


def ends_in_number(host: str) -> bool:
    """Whether a host's last label is numeric, which makes the whole host an IPv4 address."""
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if not last:
        return False
    if last.isascii() and last.isdigit():
        return True
    return _ipv4_number(last) is not None


def parse_loose_ipv4(host: str) -> IPv4Address:
    """Parse an IPv4 host the way browsers and ``inet_aton`` do: decimal, octal (leading
    zero) or hex (``0x``) parts, one to four of them, the last filling the remaining bytes.
    Raises ``ValueError`` when the host is not a valid address in any of these forms."""
    parts = host.removesuffix(".").split(".")
    if len(parts) > 4:
        raise ValueError(f"too many parts in {host!r}")
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        raise ValueError(f"not a number in {host!r}")
    values = [number for number in numbers if number is not None]
    *head, last = values
    if any(value > 255 for value in head) or last >= 256 ** (5 - len(values)):
        raise ValueError(f"part out of range in {host!r}")
    total = last + sum(value * 256 ** (3 - index) for index, value in enumerate(head))
    return IPv4Address(total)


def _ipv4_number(part: str) -> int | None:
    if not part or not part.isascii():
        return None
    base = 10
    digits = part
    if part[:2].lower() == "0x":
        base, digits = 16, part[2:]
        if not digits:
            return 0
    elif len(part) > 1 and part.startswith("0"):
        base, digits = 8, part[1:]
    try:
        return int(digits, base) if digits.isalnum() else None
    except ValueError:
        return None
