"""The guarded fetcher against real local servers: redirects, limits, headers, pinning."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from ipaddress import ip_address
from typing import Any

import pytest
from aiohappyeyeballs import AddrInfoType
from aiohttp import web

from adapters.fetch.guard import USER_AGENT, GuardedFetcher
from core import messages
from core.errors import BadInput
from tests.adapters.fetch.conftest import PUBLIC, LoopbackOnly, MakeFetcher, StubResolver
from tests.fakes.shop import serve_app

PAGE = "<!doctype html><title>ok</title><p>hello</p>"


def html(text: str = PAGE) -> web.Response:
    return web.Response(text=text, content_type="text/html", charset="utf-8")


class Site:
    """A local site serving the handlers a test puts in ``routes`` (by exact path); it
    records every request it gets."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.app.router.add_route("*", "/{path:.*}", self._dispatch)
        self.routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = {}
        self.requests: list[web.Request] = []
        self.release = asyncio.Event()
        self.base = ""
        self.port = 0

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        handler = self.routes.get(request.path)
        if handler is None:
            raise web.HTTPNotFound()
        return await handler(request)

    def page(self, path: str, text: str = PAGE) -> None:
        async def serve(request: web.Request) -> web.Response:
            return html(text)

        self.routes[path] = serve

    def body(self, path: str, body: bytes, content_type: str, status: int = 200) -> None:
        async def serve(request: web.Request) -> web.Response:
            return web.Response(body=body, content_type=content_type, status=status)

        self.routes[path] = serve

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        async def serve(request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": location})

        self.routes[path] = serve

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def allow(self, host: str = "127.0.0.1") -> frozenset[tuple[str, int]]:
        return frozenset({(host, self.port)})


async def _running(site: Site) -> AsyncIterator[Site]:
    async with serve_app(site.app) as (base, port):
        site.base, site.port = base, port
        try:
            yield site
        finally:
            site.release.set()


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async for running in _running(Site()):
        yield running


@pytest.fixture
async def other_site() -> AsyncIterator[Site]:
    async for running in _running(Site()):
        yield running


async def test_an_allowed_loopback_page_is_fetched_with_its_type_and_final_url(
    site: Site, make_fetcher: MakeFetcher
) -> None:
    site.page("/page")
    fetched = await make_fetcher(allow=site.allow()).fetch_page(f"{site.base}/page?x=1#top")
    assert fetched.url == f"{site.base}/page?x=1"
    assert fetched.content_type == "text/html; charset=utf-8"
    assert fetched.body == PAGE.encode()


async def test_requests_carry_the_user_agent_and_no_cookies_or_credentials(
    site: Site, make_fetcher: MakeFetcher
) -> None:
    async def set_cookie(request: web.Request) -> web.Response:
        response = web.Response(status=302, headers={"Location": "/check"})
        response.set_cookie("session", "abc123")
        return response

    site.routes["/set"] = set_cookie
    site.page("/check")
    fetcher = make_fetcher(allow=site.allow())
    await fetcher.fetch_page(f"{site.base}/set")
    await fetcher.fetch_page(f"{site.base}/check")
    assert site.paths == ["/set", "/check", "/check"]
    for request in site.requests:
        assert request.headers["User-Agent"] == USER_AGENT
        assert request.headers["Host"] == f"127.0.0.1:{site.port}"
        assert "Cookie" not in request.headers
        assert "Authorization" not in request.headers


async def test_a_redirect_to_a_loopback_port_that_is_not_allowed_never_reaches_it(
    site: Site, other_site: Site, make_fetcher: MakeFetcher, sockets: LoopbackOnly
) -> None:
    site.redirect("/away", f"http://127.0.0.1:{other_site.port}/admin")
    other_site.page("/admin", "secret")
    with pytest.raises(BadInput) as refused:
        await make_fetcher(allow=site.allow()).fetch_page(f"{site.base}/away")
    assert str(refused.value) == messages.FETCH_NOT_PUBLIC
    assert site.paths == ["/away"]
    assert other_site.requests == []
    assert sockets.attempts == [("127.0.0.1", site.port)]


async def test_five_redirects_are_followed_and_a_sixth_is_refused(
    site: Site, make_fetcher: MakeFetcher
) -> None:
    site.page("/hop/0")
    for left in range(1, 8):
        site.redirect(f"/hop/{left}", str(left - 1), status=301)  # relative to /hop/
    fetcher = make_fetcher(allow=site.allow())
    fetched = await fetcher.fetch_page(f"{site.base}/hop/5")
    assert fetched.url == f"{site.base}/hop/0"
    site.requests.clear()
    with pytest.raises(BadInput) as refused:
        await fetcher.fetch_page(f"{site.base}/hop/6")
    assert str(refused.value) == messages.FETCH_TOO_MANY_REDIRECTS
    assert site.paths == [f"/hop/{n}" for n in range(6, 0, -1)]


@pytest.mark.parametrize(
    ("location", "final_path"),
    [
        ("/b/landing", "/b/landing"),
        ("landing", "/a/landing"),
        ("../c/landing?ref=x", "/c/landing?ref=x"),
        ("//127.0.0.1:{port}/d/landing", "/d/landing"),
    ],
)
async def test_relative_redirects_are_resolved_against_the_current_url(
    location: str, final_path: str, site: Site, make_fetcher: MakeFetcher
) -> None:
    site.redirect("/a/start", location.format(port=site.port), status=307)
    for where in "abcd":
        site.page(f"/{where}/landing")
    fetched = await make_fetcher(allow=site.allow()).fetch_page(f"{site.base}/a/start")
    assert fetched.url == f"{site.base}{final_path}"


@pytest.mark.parametrize(
    ("location", "sentence"),
    [
        ("http://10.0.0.1/", messages.FETCH_NOT_PUBLIC),
        ("http://169.254.169.254/latest/meta-data/", messages.FETCH_NOT_PUBLIC),
        ("http://metadata.example/", messages.FETCH_NOT_PUBLIC),
        ("http://[::ffff:127.0.0.1]/", messages.FETCH_NOT_PUBLIC),
        ("http://localhost/", messages.FETCH_NOT_PUBLIC),
        ("http://user:pw@shop.example/", messages.FETCH_CREDENTIALS_IN_URL),
        ("file:///etc/passwd", messages.FETCH_BAD_URL),
    ],
)
async def test_a_redirect_to_a_forbidden_place_is_refused(
    location: str, sentence: str, site: Site, make_fetcher: MakeFetcher, sockets: LoopbackOnly
) -> None:
    site.redirect("/go", location, status=303)
    with pytest.raises(BadInput) as refused:
        await make_fetcher(allow=site.allow()).fetch_page(f"{site.base}/go")
    assert str(refused.value) == sentence
    assert sockets.attempts == [("127.0.0.1", site.port)]


async def test_a_redirect_without_a_location_is_reported_as_unreachable(
    site: Site, make_fetcher: MakeFetcher
) -> None:
    site.body("/nowhere", b"", "text/html", status=302)
    with pytest.raises(BadInput) as refused:
        await make_fetcher(allow=site.allow()).fetch_page(f"{site.base}/nowhere")
    assert str(refused.value) == messages.FETCH_UNREACHABLE


async def test_a_name_is_looked_up_once_and_connected_to_the_address_that_was_checked(
    site: Site, make_fetcher: MakeFetcher, sockets: LoopbackOnly
) -> None:
    rebinding = StubResolver({"localhost": ["127.0.0.1"]}, {"localhost": ["10.0.0.1"]})
    site.page("/page")
    fetcher = make_fetcher(allow=site.allow("localhost"), resolver=rebinding)
    fetched = await fetcher.fetch_page(f"http://localhost:{site.port}/page")
    assert fetched.url == f"http://localhost:{site.port}/page"
    assert rebinding.lookups == ["localhost"]
    assert sockets.attempts == [("127.0.0.1", site.port)]
    assert site.requests[0].headers["Host"] == f"localhost:{site.port}"


async def test_an_allowed_name_that_also_resolves_elsewhere_is_refused(
    site: Site, make_fetcher: MakeFetcher, sockets: LoopbackOnly
) -> None:
    resolver = StubResolver({"localhost": ["127.0.0.1", "10.0.0.1"]})
    fetcher = make_fetcher(allow=site.allow("localhost"), resolver=resolver)
    with pytest.raises(BadInput) as refused:
        await fetcher.fetch_page(f"http://localhost:{site.port}/")
    assert str(refused.value) == messages.FETCH_NOT_PUBLIC
    assert sockets.attempts == []


async def test_a_public_name_is_connected_to_exactly_the_checked_address() -> None:
    attempts: list[tuple[str, int]] = []

    def refuse_all(addr_info: AddrInfoType) -> socket.socket:
        address = addr_info[4]
        attempts.append((address[0], address[1]))
        raise OSError("no connection leaves the test machine")

    rebinding = StubResolver({"shop.example": ["93.184.215.14"]}, {"shop.example": ["10.0.0.1"]})
    async with GuardedFetcher(resolver=rebinding, socket_factory=refuse_all) as fetcher:
        with pytest.raises(BadInput) as refused:
            await fetcher.fetch_page("http://shop.example/mug")
    assert str(refused.value) == messages.FETCH_UNREACHABLE
    assert attempts == [("93.184.215.14", 80)]
    assert rebinding.lookups == ["shop.example"]


async def test_a_page_over_the_cap_is_refused_while_it_streams(
    site: Site, make_fetcher: MakeFetcher
) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        chunk = b"<p>" + b"x" * 65_533
        for _ in range(33):  # a little over 2 MB, with no Content-Length
            await response.write(chunk)
        await response.write_eof()
        return response

    site.routes["/big"] = endless
    with pytest.raises(BadInput) as refused:
        await make_fetcher(allow=site.allow()).fetch_page(f"{site.base}/big")
    assert str(refused.value) == messages.FETCH_PAGE_TOO_LARGE.format(limit_mb=2)


async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    site: Site, make_fetcher: MakeFetcher
) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = 50 * 1024 * 1024
        await response.prepare(request)
        await response.write(b"\x89PNG\r\n\x1a\n")
        await site.release.wait()  # the rest never comes: only the header can end this
        return response

    site.routes["/huge.png"] = huge
    fetcher = make_fetcher(allow=site.allow(), timeout=5.0)
    with pytest.raises(BadInput) as refused:
        await fetcher.fetch_image(f"{site.base}/huge.png")
    assert str(refused.value) == messages.FETCH_IMAGE_TOO_LARGE.format(limit_mb=20)


@pytest.mark.parametrize(("size", "accepted"), [(1000, True), (1001, False)])
async def test_an_image_may_be_exactly_as_large_as_the_cap(
    size: int, accepted: bool, site: Site, make_fetcher: MakeFetcher
) -> None:
    site.body("/a.png", b"\x89PNG" + b"\0" * (size - 4), "image/png")
    fetcher = make_fetcher(allow=site.allow(), image_limit=1000)
    if accepted:
        assert len((await fetcher.fetch_image(f"{site.base}/a.png")).body) == size
    else:
        with pytest.raises(BadInput, match="larger than"):
            await fetcher.fetch_image(f"{site.base}/a.png")


@pytest.mark.parametrize(
    ("content_type", "method", "sentence"),
    [
        ("image/png", "fetch_page", messages.FETCH_NOT_HTML),
        ("application/json", "fetch_page", messages.FETCH_NOT_HTML),
        ("text/html", "fetch_image", messages.FETCH_NOT_IMAGE),
        ("image/svg+xml", "fetch_image", messages.FETCH_NOT_IMAGE),
        ("application/octet-stream", "fetch_image", messages.FETCH_NOT_IMAGE),
        ("text/html", "fetch_json", messages.FETCH_NOT_DATA),
    ],
)
async def test_the_wrong_content_type_is_refused(
    content_type: str, method: str, sentence: str, site: Site, make_fetcher: MakeFetcher
) -> None:
    site.body("/thing", b"...", content_type)
    fetcher = make_fetcher(allow=site.allow())
    with pytest.raises(BadInput) as refused:
        await getattr(fetcher, method)(f"{site.base}/thing")
    assert str(refused.value) == sentence


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg", "image/webp"])
async def test_png_jpeg_and_webp_images_are_fetched(
    content_type: str, site: Site, make_fetcher: MakeFetcher
) -> None:
    site.body("/i", b"img", content_type)
    fetched = await make_fetcher(allow=site.allow()).fetch_image(f"{site.base}/i")
    assert (fetched.content_type, fetched.body) == (content_type, b"img")


async def test_a_site_that_never_answers_times_out_across_redirects(
    site: Site, make_fetcher: MakeFetcher
) -> None:
    async def stall(request: web.Request) -> web.Response:
        await site.release.wait()
        return html()

    site.redirect("/first", "/stall")
    site.routes["/stall"] = stall
    fetcher = make_fetcher(allow=site.allow(), timeout=0.3)
    with pytest.raises(BadInput) as refused:
        await fetcher.fetch_page(f"{site.base}/first")
    assert str(refused.value) == messages.FETCH_TIMED_OUT
    assert site.paths == ["/first", "/stall"]


@pytest.mark.parametrize("status", [404, 500, 304])
async def test_an_error_status_is_reported_with_its_code(
    status: int, site: Site, make_fetcher: MakeFetcher
) -> None:
    site.body("/e", b"", "text/html", status=status)
    with pytest.raises(BadInput) as refused:
        await make_fetcher(allow=site.allow()).fetch_page(f"{site.base}/e")
    assert str(refused.value) == messages.FETCH_HTTP_ERROR.format(status=status)


async def test_a_closed_port_is_reported_as_unreachable(make_fetcher: MakeFetcher) -> None:
    async with serve_app(web.Application()) as (_, port):
        pass  # the port is free again once the server stops
    fetcher = make_fetcher(allow=frozenset({("127.0.0.1", port)}))
    with pytest.raises(BadInput) as refused:
        await fetcher.fetch_page(f"http://127.0.0.1:{port}/")
    assert str(refused.value) == messages.FETCH_UNREACHABLE


class StandIn(socket.socket):
    """A client socket whose connection to one public address reaches a local site."""

    def __init__(self, addr_info: AddrInfoType, public: tuple[str, int], local_port: int) -> None:
        family, kind, proto, _, _ = addr_info
        super().__init__(family, kind, proto)
        self._public = public
        self._local = ("127.0.0.1", local_port)

    def connect(self, address: Any) -> None:
        super().connect(self._local if tuple(address[:2]) == self._public else address)


class PublicStandIn:
    """A socket factory that stands a local site in for the public address ``PUBLIC:80``,
    so a test can play a public page; every other connection must be to loopback."""

    def __init__(self, local_port: int) -> None:
        self.local_port = local_port
        self.attempts: list[tuple[str, int]] = []

    def __call__(self, addr_info: AddrInfoType) -> socket.socket:
        target = (str(addr_info[4][0]), int(addr_info[4][1]))
        self.attempts.append(target)
        assert target == (PUBLIC, 80) or ip_address(target[0]).is_loopback, target
        return StandIn(addr_info, (PUBLIC, 80), self.local_port)


async def test_a_public_page_cannot_redirect_into_an_allowed_loopback_address(
    site: Site, make_fetcher: MakeFetcher
) -> None:
    site.redirect("/go", f"http://127.0.0.1:{site.port}/admin")
    site.page("/admin", "secret")
    internet = PublicStandIn(site.port)
    fetcher = make_fetcher(allow=site.allow(), socket_factory=internet)
    with pytest.raises(BadInput) as refused:
        await fetcher.fetch_page("http://shop.example/go")
    assert str(refused.value) == messages.FETCH_NOT_PUBLIC
    assert site.paths == ["/go"]
    assert internet.attempts == [(PUBLIC, 80)]
    # Reached directly, or from another allowed address, the same page is fetched.
    site.redirect("/in", "/admin")
    fetched = await fetcher.fetch_page(f"{site.base}/in")
    assert fetched.body == b"secret"
    assert site.paths == ["/go", "/in", "/admin"]


async def test_a_public_page_may_redirect_to_another_public_page(
    site: Site, make_fetcher: MakeFetcher
) -> None:
    site.redirect("/go", "http://shop.example/landing")
    site.page("/landing", "landed")
    fetcher = make_fetcher(allow=site.allow(), socket_factory=PublicStandIn(site.port))
    fetched = await fetcher.fetch_page("http://shop.example/go")
    assert (fetched.url, fetched.body) == ("http://shop.example/landing", b"landed")


def test_an_allow_list_is_announced_once_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.fetch.guard")
    GuardedFetcher(allow=frozenset({("127.0.0.1", 8123)}))
    GuardedFetcher()
    (record,) = [r for r in caplog.records if r.name == "adapters.fetch.guard"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "AIOE_FETCH_ALLOW is set: the URL guard lets these loopback addresses through "
        "(127.0.0.1:8123); use it only in tests"
    )
