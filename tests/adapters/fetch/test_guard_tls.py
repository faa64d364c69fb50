"""HTTPS through the pinned connection still checks the certificate against the host name."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from core import messages
from core.errors import BadInput
from tests.adapters.fetch.conftest import MakeFetcher, StubResolver
from tests.fakes.shop import serve_app


def localhost() -> StubResolver:
    return StubResolver({"localhost": ["127.0.0.1"]})


def _certificate(folder: Path, name: str, alt_name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName={alt_name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    return {
        "name": _certificate(folder, "by-name", "DNS:localhost"),
        "address": _certificate(folder, "by-address", "IP:127.0.0.1"),
    }


class TlsSite:
    """An HTTPS site on 127.0.0.1 that records the server names clients ask for (SNI)."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.server_names: list[str | None] = []
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.context.sni_callback = self._sni
        self.client_context = ssl.create_default_context(cafile=str(cert))
        self.port = 0

    def _sni(self, connection: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        self.server_names.append(name)

    @staticmethod
    async def _page(request: web.Request) -> web.Response:
        return web.Response(text=f"<p>{request.host}</p>", content_type="text/html")

    async def run(self) -> AsyncIterator[TlsSite]:
        app = web.Application()
        app.router.add_get("/", self._page)
        async with serve_app(app, ssl_context=self.context) as (_, port):
            self.port = port
            yield self


@pytest.fixture
async def named_site(certificates: dict[str, tuple[Path, Path]]) -> AsyncIterator[TlsSite]:
    async for site in TlsSite(*certificates["name"]).run():
        yield site


@pytest.fixture
async def numbered_site(certificates: dict[str, tuple[Path, Path]]) -> AsyncIterator[TlsSite]:
    async for site in TlsSite(*certificates["address"]).run():
        yield site


async def test_https_to_a_pinned_name_sends_and_verifies_that_name(
    named_site: TlsSite, make_fetcher: MakeFetcher
) -> None:
    fetcher = make_fetcher(
        allow=frozenset({("localhost", named_site.port)}),
        resolver=localhost(),
        ssl_context=named_site.client_context,
    )
    fetched = await fetcher.fetch_page(f"https://localhost:{named_site.port}/")
    assert fetched.body == f"<p>localhost:{named_site.port}</p>".encode()
    assert named_site.server_names == ["localhost"]


async def test_a_certificate_for_the_pinned_address_but_not_the_name_is_refused(
    numbered_site: TlsSite, make_fetcher: MakeFetcher
) -> None:
    allow = frozenset({("localhost", numbered_site.port), ("127.0.0.1", numbered_site.port)})
    fetcher = make_fetcher(
        allow=allow, resolver=localhost(), ssl_context=numbered_site.client_context
    )
    with pytest.raises(BadInput) as refused:
        await fetcher.fetch_page(f"https://localhost:{numbered_site.port}/")
    assert str(refused.value) == messages.FETCH_UNREACHABLE
    by_address = await fetcher.fetch_page(f"https://127.0.0.1:{numbered_site.port}/")
    assert by_address.body == f"<p>127.0.0.1:{numbered_site.port}</p>".encode()
