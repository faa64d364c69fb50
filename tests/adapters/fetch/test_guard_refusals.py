"""Hostile URLs are refused before any connection is attempted."""

from __future__ import annotations

import pytest

from core import messages
from core.errors import BadInput
from tests.adapters.fetch.conftest import LoopbackOnly, MakeFetcher, StubResolver

ALLOWED_PORT = 8123  # allowed for 127.0.0.1 below; nothing listens there

HOSTILE = [
    # schemes
    ("ftp://shop.example/mug.png", messages.FETCH_BAD_URL),
    ("file:///etc/passwd", messages.FETCH_BAD_URL),
    ("gopher://127.0.0.1:70/_x", messages.FETCH_BAD_URL),
    ("javascript:alert(1)", messages.FETCH_BAD_URL),
    ("data:text/html,<h1>hi</h1>", messages.FETCH_BAD_URL),
    ("//shop.example/no-scheme", messages.FETCH_BAD_URL),
    # credentials
    ("http://user:secret@shop.example/", messages.FETCH_CREDENTIALS_IN_URL),
    ("http://user@shop.example/", messages.FETCH_CREDENTIALS_IN_URL),
    ("http://@shop.example/", messages.FETCH_CREDENTIALS_IN_URL),
    # ports
    ("http://shop.example:8080/", messages.FETCH_NON_WEB_PORT),
    ("https://shop.example:22/", messages.FETCH_NON_WEB_PORT),
    ("http://shop.example:0/", messages.FETCH_NON_WEB_PORT),
    # loopback in every notation
    ("http://127.0.0.1/", messages.FETCH_NOT_PUBLIC),
    ("http://127.0.0.1:80/", messages.FETCH_NOT_PUBLIC),
    ("http://2130706433/", messages.FETCH_NOT_PUBLIC),
    ("http://0177.0.0.1/", messages.FETCH_NOT_PUBLIC),
    ("http://0x7f.1/", messages.FETCH_NOT_PUBLIC),
    ("http://0x7f000001/", messages.FETCH_NOT_PUBLIC),
    ("http://017700000001/", messages.FETCH_NOT_PUBLIC),
    ("http://0x7f.0x0.0x0.0x1/", messages.FETCH_NOT_PUBLIC),
    ("http://127.1/", messages.FETCH_NOT_PUBLIC),
    ("http://127.0.0.1./", messages.FETCH_NOT_PUBLIC),
    ("http://%31%32%37.0.0.1/", messages.FETCH_NOT_PUBLIC),
    ("http://127。0。0。1/", messages.FETCH_NOT_PUBLIC),
    ("http://①②⑦.0.0.1/", messages.FETCH_NOT_PUBLIC),
    ("http://[::1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[0:0:0:0:0:0:0:1]/", messages.FETCH_NOT_PUBLIC),
    ("http://localhost/", messages.FETCH_NOT_PUBLIC),
    ("http://LOCALHOST./", messages.FETCH_NOT_PUBLIC),
    ("http://admin.localhost/", messages.FETCH_NOT_PUBLIC),
    ("http://127.0.0.1.nip.example/", messages.FETCH_NOT_PUBLIC),
    # unspecified, private, shared, link-local, metadata
    ("http://0/", messages.FETCH_NOT_PUBLIC),
    ("http://0.0.0.0/", messages.FETCH_NOT_PUBLIC),
    ("http://[::]/", messages.FETCH_NOT_PUBLIC),
    ("http://10.1/", messages.FETCH_NOT_PUBLIC),
    ("http://10.0.0.1/", messages.FETCH_NOT_PUBLIC),
    ("https://172.16.5.4/", messages.FETCH_NOT_PUBLIC),
    ("http://192.168.0.1/", messages.FETCH_NOT_PUBLIC),
    ("http://3232235521/", messages.FETCH_NOT_PUBLIC),
    ("http://100.64.0.1/", messages.FETCH_NOT_PUBLIC),
    ("http://169.254.169.254/latest/meta-data/", messages.FETCH_NOT_PUBLIC),
    ("http://0xa9fea9fe/", messages.FETCH_NOT_PUBLIC),
    ("http://metadata.example/", messages.FETCH_NOT_PUBLIC),
    ("http://alibaba-metadata.example/", messages.FETCH_NOT_PUBLIC),
    ("http://private.example./", messages.FETCH_NOT_PUBLIC),
    ("http://xn--mnchen-3ya.example/", messages.FETCH_NOT_PUBLIC),
    ("http://münchen.example/", messages.FETCH_NOT_PUBLIC),
    ("http://m%C3%BCnchen.example/", messages.FETCH_NOT_PUBLIC),
    # special-purpose IPv4
    ("http://198.18.0.1/", messages.FETCH_NOT_PUBLIC),
    ("http://192.0.2.1/", messages.FETCH_NOT_PUBLIC),
    ("http://198.51.100.7/", messages.FETCH_NOT_PUBLIC),
    ("http://203.0.113.9/", messages.FETCH_NOT_PUBLIC),
    ("http://192.0.0.8/", messages.FETCH_NOT_PUBLIC),
    ("http://224.0.0.1/", messages.FETCH_NOT_PUBLIC),
    ("http://239.255.255.250/", messages.FETCH_NOT_PUBLIC),
    ("http://240.0.0.1/", messages.FETCH_NOT_PUBLIC),
    ("http://255.255.255.255/", messages.FETCH_NOT_PUBLIC),
    # IPv6 ranges and IPv4 hidden inside IPv6
    ("http://[fe80::1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[fe80::1%25eth0]/", messages.FETCH_NOT_PUBLIC),
    ("http://[2606:4700::1%25eth0]/", messages.FETCH_NOT_PUBLIC),
    ("http://[fc00::1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[fd00:ec2::254]/", messages.FETCH_NOT_PUBLIC),
    ("http://[fec0::1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[ff02::1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[2001:db8::1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[::ffff:127.0.0.1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[::ffff:7f00:1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[0:0:0:0:0:ffff:169.254.169.254]/", messages.FETCH_NOT_PUBLIC),
    ("http://[::127.0.0.1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[::ffff:0:7f00:1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[2002:7f00:1::]/", messages.FETCH_NOT_PUBLIC),
    ("http://[2002:c0a8:101::1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[64:ff9b::10.0.0.1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[64:ff9b:1::a00:1]/", messages.FETCH_NOT_PUBLIC),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", messages.FETCH_NOT_PUBLIC),
    ("http://mapped.example/", messages.FETCH_NOT_PUBLIC),
    ("http://linklocal6.example/", messages.FETCH_NOT_PUBLIC),
    ("http://sixtofour.example/", messages.FETCH_NOT_PUBLIC),
    ("http://nat64.example/", messages.FETCH_NOT_PUBLIC),
    ("http://garbage.example/", messages.FETCH_NOT_PUBLIC),
    # one bad address among good ones is enough
    ("http://mixed.example/", messages.FETCH_NOT_PUBLIC),
    ("https://mixed6.example/", messages.FETCH_NOT_PUBLIC),
    # malformed hosts
    ("http://1.2.3.4.5/", messages.FETCH_BAD_URL),
    ("http://256.1.1.1/", messages.FETCH_BAD_URL),
    ("http://08.0.0.1/", messages.FETCH_BAD_URL),
    ("http://a..b/", messages.FETCH_BAD_URL),
    ("http://exa mple.com/", messages.FETCH_BAD_URL),
    ("http://shop.example\\@evil.example/", messages.FETCH_BAD_URL),
    ("http:///path-only", messages.FETCH_BAD_URL),
    ("http://%ff.example/", messages.FETCH_BAD_URL),
    ("http://a%40b.example/", messages.FETCH_BAD_URL),
    ("http://%5B%3A%3A1%5D/", messages.FETCH_NOT_PUBLIC),
    ("http://%5B::1%5D/", messages.FETCH_BAD_URL),
    ("http://nowhere.example/", messages.FETCH_UNREACHABLE),
    # the allow list is exact: host, port and scheme
    (f"http://127.0.0.1:{ALLOWED_PORT + 1}/", messages.FETCH_NOT_PUBLIC),
    (f"http://127.0.0.2:{ALLOWED_PORT}/", messages.FETCH_NOT_PUBLIC),
    (f"http://[::1]:{ALLOWED_PORT}/", messages.FETCH_NOT_PUBLIC),
    (f"http://localhost:{ALLOWED_PORT}/", messages.FETCH_NOT_PUBLIC),
    (f"http://10.0.0.1:{ALLOWED_PORT}/", messages.FETCH_NOT_PUBLIC),
    (f"ftp://127.0.0.1:{ALLOWED_PORT}/", messages.FETCH_BAD_URL),
    (f"http://user@127.0.0.1:{ALLOWED_PORT}/", messages.FETCH_CREDENTIALS_IN_URL),
]


@pytest.mark.parametrize(("url", "sentence"), HOSTILE)
async def test_a_hostile_url_is_refused_before_any_connection(
    url: str, sentence: str, make_fetcher: MakeFetcher, sockets: LoopbackOnly
) -> None:
    fetcher = make_fetcher(allow=frozenset({("127.0.0.1", ALLOWED_PORT)}))
    with pytest.raises(BadInput) as refused:
        await fetcher.fetch_page(url)
    assert str(refused.value) == sentence
    assert sockets.attempts == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam",
        "http://[::1]/x.png",
        "http://mixed.example/a.png",
    ],
)
async def test_images_are_held_to_the_same_rules_as_pages(
    url: str, make_fetcher: MakeFetcher, sockets: LoopbackOnly
) -> None:
    with pytest.raises(BadInput, match="not a public web page"):
        await make_fetcher().fetch_image(url)
    assert sockets.attempts == []


async def test_local_names_are_refused_without_even_being_looked_up(
    make_fetcher: MakeFetcher, resolver: StubResolver
) -> None:
    fetcher = make_fetcher()
    for url in ("http://localhost/", "http://shop.localhost/"):
        with pytest.raises(BadInput):
            await fetcher.fetch_page(url)
    assert resolver.lookups == []
