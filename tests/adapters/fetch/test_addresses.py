"""Which addresses count as public, how loose IPv4 forms parse, and the allow list."""

from __future__ import annotations

from ipaddress import IPv4Address, ip_address

import pytest

from adapters.fetch.addresses import is_public, parse_loose_ipv4
from adapters.fetch.targets import parse_allow, parse_target
from core.errors import BadInput


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "93.184.215.14",
        "1.1.1.1",
        "2606:4700::6810:84e5",
        "2a00:1450:4001:82a::200e",
        "::ffff:8.8.8.8",
        "2002:808:808::1",
        "64:ff9b::808:808",
    ],
)
def test_globally_routable_addresses_are_public(address: str) -> None:
    assert is_public(ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.31.255.255",
        "192.168.1.1", "100.64.0.1", "100.127.255.255", "169.254.169.254", "192.0.0.1",
        "192.0.2.5", "198.18.0.1", "198.19.255.255", "198.51.100.1", "203.0.113.1",
        "192.88.99.1", "224.0.0.251", "239.1.1.1", "240.0.0.1", "255.255.255.255",
        "::", "::1", "::127.0.0.1", "::8.8.8.8", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
        "::ffff:0:8.8.8.8", "fe80::1", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1",
        "ff0e::1", "2001:db8::1", "3fff::1", "100::1", "5f00::1", "2001::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2002:7f00:1::", "2002:a9fe:a9fe::1",
        "64:ff9b::7f00:1", "64:ff9b::c0a8:101", "64:ff9b:1::808:808",
    ],
)  # fmt: skip
def test_special_purpose_addresses_are_not_public(address: str) -> None:
    assert not is_public(ip_address(address))


def test_a_scoped_ipv6_address_is_not_public() -> None:
    assert not is_public(ip_address("2606:4700::1%eth0"))


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("0xa9.0376.43518", "169.254.169.254"),
        ("3232235777.", "192.168.1.1"),
    ],
)
def test_loose_ipv4_forms_parse_like_browsers_and_inet_aton(host: str, address: str) -> None:
    assert parse_loose_ipv4(host) == IPv4Address(address)


@pytest.mark.parametrize(
    "host", ["1.2.3.4.5", "256.0.0.1", "1.2.3.256", "4294967296", "08", "0x1g", "1..1", "1.2.65536"]
)
def test_invalid_numeric_hosts_do_not_parse(host: str) -> None:
    with pytest.raises(ValueError):
        parse_loose_ipv4(host)


def test_targets_are_rebuilt_on_the_canonical_host_without_fragment() -> None:
    target = parse_target("HTTPS://Shop.Example.:443/a%20b/../c?q=1#frag")
    assert (str(target.url), target.host, target.port, target.ip) == (
        "https://shop.example/c?q=1",
        "shop.example",
        443,
        None,
    )
    assert str(parse_target("http://2130706433:8123/").url) == "http://127.0.0.1:8123/"
    assert str(parse_target("http://[::FFFF:7F00:1]/").url) == "http://[::ffff:7f00:1]/"


def test_the_allow_list_parses_loopback_pairs() -> None:
    assert parse_allow(" 127.0.0.1:8123, localhost:9000,[::1]:9001,LOCALHOST.:9002 ,") == {
        ("127.0.0.1", 8123),
        ("localhost", 9000),
        ("::1", 9001),
        ("localhost", 9002),
    }
    assert parse_allow("") == frozenset()


@pytest.mark.parametrize(
    "value",
    [
        "10.0.0.1:80",
        "example.com:443",
        "169.254.169.254:80",
        "0.0.0.0:8000",
        "127.0.0.1",
        "127.0.0.1:http",
        "127.0.0.1:0",
        "127.0.0.1:70000",
        "localhost.example:80",
        "127.0.0.1:8123,192.168.1.1:80",
    ],
)
def test_the_allow_list_rejects_anything_but_loopback_pairs(value: str) -> None:
    with pytest.raises(ValueError):
        parse_allow(value)


def test_parse_target_refuses_with_a_user_facing_sentence() -> None:
    with pytest.raises(BadInput, match="http:// or https://"):
        parse_target("mailto:someone@example.com")
